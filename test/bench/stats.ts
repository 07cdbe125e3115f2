/** Percentiles and a fixed-width table for benchmark output. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export interface Row {
  name: string;
  median?: number;
  p99?: number;
  throughput?: string;
  extra?: string;
}

const fmt = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? '—' : ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);

export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  console.log(`  ${'measure'.padEnd(52)} ${'median'.padStart(10)} ${'p99'.padStart(10)}  ${'throughput'.padEnd(22)} notes`);
  for (const row of rows) {
    console.log(`  ${row.name.padEnd(52)} ${fmt(row.median).padStart(10)} ${fmt(row.p99).padStart(10)}  ${(row.throughput ?? '').padEnd(22)} ${row.extra ?? ''}`);
  }
}

/** BENCH_PROFILE=1: a CPU profile of the process while a section runs, written to `<name>.cpuprofile` (open it in Chrome's DevTools). */
export async function startProfiler(): Promise<(name: string) => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(`${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  };
}
