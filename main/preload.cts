// Sandboxed preload (CommonJS, as sandboxed preloads must be): exposes ONE invoke/subscribe bridge, no logic.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';

contextBridge.exposeInMainWorld('medseg', {
  invoke: (method: string, input: unknown) => ipcRenderer.invoke('medseg:invoke', method, input),
  subscribe: (event: string, listener: (payload: unknown) => void) => {
    const onEvent = (_e: IpcRendererEvent, name: string, payload: unknown): void => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on('medseg:event', onEvent);
    return () => ipcRenderer.removeListener('medseg:event', onEvent);
  },
  dataOrigin: 'medseg-data://local',
  // Dropped files carry no path in a sandboxed page; Electron resolves it for the import box.
  pathForFile: (file: File) => webUtils.getPathForFile(file),
});
