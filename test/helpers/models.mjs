// Test models, generated on first use into .cache/models (see scripts/model/generate.mjs).
import { ensureModel } from '../../scripts/model/generate.mjs';

export const tinyModel = () => ensureModel('tiny');
export const tinyPooledModel = () => ensureModel('tiny-pooled', { pooledOutput: true });
export const tinyNoTokenTypesModel = () => ensureModel('tiny-no-token-types', { tokenTypeIds: false });
export const tinyLowerCaseModel = () => ensureModel('tiny-lower', { doLowerCase: true });
