// Test models, generated on first use into .cache/models (see scripts/model/generate.mjs).
import { ensureModel } from '../../scripts/model/generate.mjs';

export const tinyModel = () => ensureModel('tiny');
export const tinyPooledModel = () => ensureModel('tiny-pooled', { pooledOutput: true });
export const tinyNoTokenTypesModel = () => ensureModel('tiny-no-token-types', { tokenTypeIds: false });
export const tinyLowerCaseModel = () => ensureModel('tiny-lower', { doLowerCase: true });
// The tiny model plus onnx/model_fp16.onnx: the same weights in half precision.
export const tinyFp16Model = () => ensureModel('tiny-fp16', { fp16File: true });
export const tinyPooledFp16Model = () => ensureModel('tiny-pooled-fp16', { pooledOutput: true, fp16File: true });
// Its float16 export overflows to infinity; the float32 one stays finite.
export const tinyOverflowModel = () => ensureModel('tiny-overflow', { fp16File: true, outputScale: 1e5 });
