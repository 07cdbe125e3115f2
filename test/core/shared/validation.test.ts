import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/shared/errors.ts';
import { describeProblems, formatPath, parseOrThrow, problemsFrom, type Problem } from '../../../src/core/shared/validation.ts';

function problems(schema: z.ZodType, input: unknown, prefix = ''): Problem[] {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the input to be invalid');
  return problemsFrom(result.error, prefix);
}

describe('formatPath', () => {
  it('writes JSON paths with dots for fields and brackets for indexes', () => {
    expect(formatPath(['batch', 2, 'properties', 'price'])).toBe('batch[2].properties.price');
    expect(formatPath([0, 'a'])).toBe('[0].a');
  });

  it('continues a prefix', () => {
    expect(formatPath(['properties'], 'batch[1]')).toBe('batch[1].properties');
    expect(formatPath([], 'batch[1]')).toBe('batch[1]');
  });

  it('names the root when the path is empty', () => {
    expect(formatPath([])).toBe('(root)');
  });
});

describe('problemsFrom', () => {
  it('says a missing field is required and what type it takes', () => {
    expect(problems(z.object({ name: z.string() }), {})).toEqual([{ path: 'name', message: 'is required (expected string)' }]);
  });

  it('says what type was expected and what was received, in JSON words', () => {
    const schema = z.object({ a: z.string(), b: z.number(), c: z.record(z.string(), z.unknown()), d: z.array(z.number()), e: z.boolean() });
    expect(problems(schema, { a: 1, b: 'x', c: [], d: {}, e: null })).toEqual([
      { path: 'a', message: 'expected string, received number' },
      { path: 'b', message: 'expected number, received string' },
      { path: 'c', message: 'expected object, received array' },
      { path: 'd', message: 'expected array, received object' },
      { path: 'e', message: 'expected boolean, received null' },
    ]);
  });

  it('lists the allowed values', () => {
    expect(problems(z.object({ size: z.enum(['s', 'm', 'l']) }), { size: 'xl' })).toEqual([{ path: 'size', message: 'expected one of s, m, l' }]);
  });

  it('names unknown fields', () => {
    expect(problems(z.object({}).strict(), { colour: 1 })).toEqual([{ path: '(root)', message: 'unknown field "colour"' }]);
    expect(problems(z.object({ p: z.object({}).strict() }), { p: { a: 1, b: 2 } })).toEqual([{ path: 'p', message: 'unknown fields "a", "b"' }]);
  });

  it('states upper limits for strings, arrays and numbers', () => {
    const schema = z.object({ s: z.string().max(3), a: z.array(z.number()).max(2), n: z.number().max(10) });
    expect(problems(schema, { s: 'abcd', a: [1, 2, 3], n: 11 })).toEqual([
      { path: 's', message: 'must be at most 3 characters' },
      { path: 'a', message: 'must have at most 2 items' },
      { path: 'n', message: 'must be at most 10' },
    ]);
  });

  it('states lower limits, calling a required empty string empty', () => {
    const schema = z.object({ e: z.string().min(1), s: z.string().min(3), a: z.array(z.number()).min(1), b: z.array(z.number()).min(2), n: z.number().min(1) });
    expect(problems(schema, { e: '', s: 'ab', a: [], b: [1], n: 0 })).toEqual([
      { path: 'e', message: 'must not be empty' },
      { path: 's', message: 'must be at least 3 characters' },
      { path: 'a', message: 'must have at least 1 item' },
      { path: 'b', message: 'must have at least 2 items' },
      { path: 'n', message: 'must be at least 1' },
    ]);
  });

  it('asks for an http(s) URL', () => {
    expect(problems(z.object({ url: z.url() }), { url: 'not a url' })).toEqual([{ path: 'url', message: 'expected an http(s) URL' }]);
  });

  it("keeps a pattern's own message", () => {
    const schema = z.object({ code: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD') });
    expect(problems(schema, { code: 'usd' })).toEqual([{ path: 'code', message: 'expected an ISO 4217 code such as USD' }]);
  });

  it('names the format a string missed', () => {
    expect(problems(z.object({ mail: z.email() }), { mail: 'nope' })).toEqual([{ path: 'mail', message: 'expected a valid email' }]);
  });

  it('says why a record key is invalid, at that key', () => {
    const schema = z.object({ utm: z.record(z.string().regex(/^[a-z_]+$/, 'expected a query parameter name'), z.string()) });
    expect(problems(schema, { utm: { 'bad key': 'x' } })).toEqual([{ path: 'utm.bad key', message: 'expected a query parameter name' }]);
  });

  it('names the types a union accepts', () => {
    const schema = z.object({ id: z.union([z.string(), z.number()]) });
    expect(problems(schema, { id: true })).toEqual([{ path: 'id', message: 'expected string or number, received boolean' }]);
    expect(problems(schema, {})).toEqual([{ path: 'id', message: 'is required (expected string or number)' }]);
  });

  it('reports, by path, every problem of the one union alternative the input has the type of', () => {
    const item = z.object({ id: z.string(), price: z.number() }).strict();
    const schema = z.object({ items: z.union([z.array(item), z.object({ list: z.array(item) }).strict()]) });
    // Zod itself only says "Invalid input" at `items`: a missing field or a wrong type aborts both alternatives.
    expect(problems(schema, { items: [{ id: 'a', price: 1 }, { price: '2' }, { id: 'c', price: 3 }, { id: 'd', price: 'x' }] })).toEqual([
      { path: 'items[1].id', message: 'is required (expected string)' },
      { path: 'items[1].price', message: 'expected number, received string' },
      { path: 'items[3].price', message: 'expected number, received string' },
    ]);
    expect(problems(schema, { items: { list: [{ id: 1, price: 1 }] } })).toEqual([{ path: 'items.list[0].id', message: 'expected string, received number' }]);
  });

  it('keeps custom messages from refinements', () => {
    const schema = z.object({ n: z.number().refine((n) => n % 2 === 0, 'must be even') });
    expect(problems(schema, { n: 3 })).toEqual([{ path: 'n', message: 'must be even' }]);
  });

  it('reports every problem at once, under a prefix', () => {
    const schema = z.object({ a: z.string(), b: z.array(z.object({ c: z.number() })) });
    expect(problems(schema, { b: [{ c: 1 }, { c: 'x' }] }, 'batch[4]')).toEqual([
      { path: 'batch[4].a', message: 'is required (expected string)' },
      { path: 'batch[4].b[1].c', message: 'expected number, received string' },
    ]);
  });
});

describe('describeProblems', () => {
  it('joins problems into one line', () => {
    expect(
      describeProblems([
        { path: 'a', message: 'is required (expected string)' },
        { path: 'b[0]', message: 'must be at most 3' },
      ]),
    ).toBe('a: is required (expected string); b[0]: must be at most 3');
  });
});

describe('parseOrThrow', () => {
  const schema = z.object({ slots: z.number().int().max(4) });

  it('returns the parsed value', () => {
    expect(parseOrThrow(schema, { slots: 2 }, 'block')).toEqual({ slots: 2 });
  });

  it('throws a 400 listing every problem by path', () => {
    let error: unknown;
    try {
      parseOrThrow(schema, { slots: 9 }, 'block', 'blocks[2]');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.status).toBe(400);
    expect(appError.code).toBe('VALIDATION_FAILED');
    expect(appError.message).toBe('invalid block: blocks[2].slots: must be at most 4');
    expect(appError.details).toEqual([{ path: 'blocks[2].slots', message: 'must be at most 4' }]);
  });
});
