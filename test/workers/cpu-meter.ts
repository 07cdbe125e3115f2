import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time (user + system, in ms) used so far by the workerd processes this
 * test process started, from /proc. Inside a Worker no clock can measure
 * CPU time (on Cloudflare the clocks stand still while code runs); the
 * operating system's count is exact whatever else the machine is doing,
 * though only to a tick (10 ms), and it counts every isolate in the process.
 * Undefined where there is no /proc.
 */
const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Stat {
  pid: number;
  ppid: number;
  name: string;
  cpuTicks: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name is in parentheses and may contain spaces; the numbers follow the last ')'.
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), name, cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export function workerdCpuMs(): number | undefined {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return undefined;
  }
  const stats = pids.map(stat).filter((s): s is Stat => s !== undefined);
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  // Descendants of this process, so that another run's workerd on the same machine is not counted.
  const mine: Stat[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      mine.push(child);
      queue.push(child.pid);
    }
  }
  const workerd = mine.filter((s) => s.name === 'workerd');
  return workerd.length === 0 ? undefined : workerd.reduce((n, s) => n + s.cpuTicks, 0) * TICK_MS;
}
