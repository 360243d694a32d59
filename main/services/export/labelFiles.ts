// placeholder until the handler lands
import { AppError } from '../../../shared/errors.js';
import type { ExportFormatHandler } from './formats.js';

const notYet: ExportFormatHandler = {
  summary: 'not yet written',
  extension: '.nii.gz',
  write() {
    return Promise.reject(new AppError('INTERNAL', 'not yet written'));
  },
};
export const niftiLabelFormat = notYet;
export const segNrrdFormat = notYet;
