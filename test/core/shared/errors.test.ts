import { describe, expect, it } from 'vitest';
import { AppError, ERROR_STATUS, errorCode } from '../../../src/core/shared/errors.ts';

describe('AppError', () => {
  it('answers with the status its code owns', () => {
    expect(new AppError('VALIDATION_FAILED', 'batch[0].event: required').status).toBe(400);
    expect(new AppError('STORE_TIMEOUT', 'the store did not answer').status).toBe(503);
  });

  it('makes an image that did not load an upstream failure, whoever loaded it', () => {
    expect(new AppError('IMAGE_FETCH_FAILED', 'the photo did not arrive').status).toBe(502);
  });

  it('makes a bad instance setting a server error, never the caller’s', () => {
    expect(ERROR_STATUS.CONFIG_INVALID).toBe(500);
  });

  it('keeps its cause and reports INTERNAL for anything else thrown', () => {
    const cause = new Error('socket closed');
    expect(new AppError('STORE_UNAVAILABLE', 'down', { cause }).cause).toBe(cause);
    expect(errorCode(new Error('boom'))).toBe('INTERNAL');
  });
});
