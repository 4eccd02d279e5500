// The server's errors, in OpenAI's shape ({ error: { message, type, param, code } }), and the
// mapping of every failure (ours, fastify's, the library's) onto a status and that shape.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FieldError, InputTooLongError, InvalidArgumentError, QueueFullError, SentvecError, StoreConnectionError } from '../errors';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'rate_limit_error' | 'server_error' | 'not_found_error';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export const invalid = (message: string, param: string | null = null, code: string | null = null) =>
  new HttpError(400, message, 'invalid_request_error', param, code);

export const tooLarge = (limit: number) =>
  new HttpError(
    413,
    `The request body is larger than ${limit} bytes; split the input over several requests.`,
    'invalid_request_error',
    null,
    'request_too_large',
  );

/**
 * An error about input `index` of a request's `param` (from Model's plan or executor) as the
 * client's error naming it; any other error as it is.
 */
export function inputError(error: unknown, param: string, vocabSize: number, maxSeqLength: number): unknown {
  if (!(error instanceof InputTooLongError || error instanceof InvalidArgumentError) || error.index === undefined) return error;
  const where = `${param}[${error.index}]`;
  if (error instanceof InputTooLongError)
    return new HttpError(
      413,
      `${where} is longer than the model's ${maxSeqLength} tokens; shorten it or send "truncate": true.`,
      'invalid_request_error',
      where,
      'context_length_exceeded',
    );
  return invalid(`${where} holds a value that is not a token id of this model (integers 0 to ${vocabSize - 1}).`, where);
}

/** Answers every error of `app` in OpenAI's shape, counting it in `errors` by route and type. */
export function installErrorHandler(app: FastifyInstance, bodyLimit: number, onError: (route: string, type: ErrorType) => void): void {
  app.setErrorHandler((error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply) => {
    let status = 500;
    let type: ErrorType = 'server_error';
    let param: string | null = null;
    let code: string | null = null;
    let message = error.message;
    if (error instanceof HttpError) {
      ({ status, type, param, code } = error);
      if (status === 429) reply.header('retry-after', '1');
    } else if (error instanceof FieldError) {
      status = 400;
      type = 'invalid_request_error';
      ({ param } = error);
      code = error.fieldCode;
    } else if (error instanceof QueueFullError) {
      status = 429;
      type = 'rate_limit_error';
      code = 'queue_full';
      reply.header('retry-after', '1');
    } else if ((error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      ({ status, type, param, code, message } = tooLarge(bodyLimit));
      reply.header('connection', 'close');
    } else if ((error as FastifyError).statusCode && (error as FastifyError).statusCode! < 500) {
      status = (error as FastifyError).statusCode!;
      type = 'invalid_request_error';
      message =
        (error as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Send the body as application/json.'
          : `We could not parse the JSON body of your request (${error.message}).`;
    } else if (error instanceof StoreConnectionError) {
      // Another server may reach the database: a client with several should try it.
      status = 503;
      code = 'store_unavailable';
      // The detail (host, socket path, user) is the operator's, in the log; never the client's.
      message = 'The vector store cannot be reached; retry shortly, or send the request to another instance.';
      reply.header('retry-after', '1');
      request.log.error(error);
    } else if (error instanceof SentvecError && error.code === 'ERR_INPUT_TOO_LONG') {
      status = 413;
      type = 'invalid_request_error';
      code = 'context_length_exceeded';
    } else if (error instanceof SentvecError && error.code === 'ERR_INVALID_ARG') {
      status = 400;
      type = 'invalid_request_error';
    } else {
      // An unexpected failure's message may name files, tables or hosts: it stays in the log.
      message = 'The server failed to answer this request (the detail is in its log); retry, and report it if it persists.';
      request.log.error(error);
    }
    onError(request.routeOptions.url ?? 'unknown', type);
    reply.status(status).send({ error: { message, type, param, code } });
  });
}
