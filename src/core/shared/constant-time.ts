/**
 * Secret comparison, constant-time in the secret's content, so response
 * timing does not reveal how much of a guessed key, token or signature was
 * right. The one place opentime compares secrets.
 */
const encoder = new TextEncoder();

export function safeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i % Math.max(1, y.length)] ?? 0);
  return diff === 0;
}
