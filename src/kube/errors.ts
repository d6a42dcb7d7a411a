import type { StatusBody } from './objects.js';

/** An API call that the server answered with an error status, or that never reached it. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status; 0 when the request did not get an answer. */
    readonly status: number,
    /** The Status reason, e.g. "NotFound", "AlreadyExists", "Conflict", "Invalid", "Expired". */
    readonly reason: string,
    message: string,
    readonly body?: StatusBody,
  ) {
    super(`${method} ${path}: ${status || 'no response'} ${reason}: ${message}`);
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409 && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean =>
  e instanceof KubeApiError && e.status === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && (e.status === 410 || e.reason === 'Expired');
