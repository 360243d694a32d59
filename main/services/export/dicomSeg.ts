// placeholder until the handler lands
import { AppError } from '../../../shared/errors.js';
import type { ExportFormatHandler } from './formats.js';

export const dicomSegFormat: ExportFormatHandler = {
  summary: 'not yet written',
  extension: '.dcm',
  write() {
    return Promise.reject(new AppError('INTERNAL', 'not yet written'));
  },
};
