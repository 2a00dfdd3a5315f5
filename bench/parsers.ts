/**
 * The parsers on their own, each against the floor it cannot beat, interleaved in one process
 * (case A, case B, A, B, … and the median of each), with no forced collection between runs.
 *
 * - PartialJSON: JSON arguments in 3-character slices (as tool-call deltas arrive), the cost per
 *   character at 100 KB against 1 KB (linear: about 1×), and the whole against one `JSON.parse`
 *   of the complete text; and, with no target, the same with the value read after every slice
 *   (each read places the string or number the slice cut).
 */
import { PartialJSON } from "../src/index.ts";

export interface ParserRow {
  case: string;
  /** Microseconds per run (median). */
  us: number;
  /** What it is compared with, and the ratio. */
  versus?: string;
  ratio?: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median ms of each function, run alternately `rounds` times after a warm-up of each. */
function interleaved(fns: (() => unknown)[], rounds: number, reps: number): number[] {
  const samples = fns.map((): number[] => []);
  for (const fn of fns) for (let r = 0; r < reps; r++) fn();
  for (let round = 0; round < rounds; round++) {
    fns.forEach((fn, i) => {
      const start = performance.now();
      for (let r = 0; r < reps; r++) fn();
      samples[i]!.push((performance.now() - start) / reps);
    });
  }
  return samples.map(median);
}

/** Tool arguments of about `bytes` characters: rows of numbers, strings with escapes and literals. */
export function argumentsText(bytes: number): string {
  const rows: unknown[] = [];
  let text = "";
  for (let i = 0; text.length < bytes; i++) {
    rows.push({ id: i, name: `row ${i} "quoted" \u00e9\u{1f600}`, ok: i % 3 === 0, score: i * 1.25e-3, tags: ["a", null] });
    if (i % 8 === 0 || text.length > bytes - 200) text = JSON.stringify({ rows });
  }
  return text;
}

function slicesOf(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Every slice read, the value made once at the end (as a reader that falls behind gets it). */
function parseSlices(slices: string[]): unknown {
  const parser = new PartialJSON();
  for (let i = 0; i < slices.length; i++) parser.write(slices[i]!);
  return parser.end();
}

/** Every slice read and the value read after each (as a reader that keeps up gets it). */
function parseSlicesReading(slices: string[]): unknown {
  const parser = new PartialJSON();
  let value: unknown;
  for (let i = 0; i < slices.length; i++) value = parser.push(slices[i]!);
  return parser.end() ?? value;
}

export function parserRows(quick: boolean): ParserRow[] {
  // 41 rounds: a round is about 7 ms, and with 11 the median moved by up to 1.5x between processes
  // on a shared 2-core machine (the 2 ms PartialJSON runs are preempted more often than the 0.6 ms
  // JSON.parse); with 41 it stayed within 0.15x.
  const rounds = quick ? 9 : 41;
  const small = argumentsText(1024);
  const big = argumentsText(100 * 1024);
  const smallSlices = slicesOf(small, 3);
  const bigSlices = slicesOf(big, 3);
  const [smallMs, bigMs, parseMs, readingMs] = interleaved(
    [() => parseSlices(smallSlices), () => parseSlices(bigSlices), () => JSON.parse(big), () => parseSlicesReading(bigSlices)],
    rounds,
    1,
  ) as [number, number, number, number];
  const perCharSmall = smallMs / small.length;
  const perCharBig = bigMs / big.length;
  return [
    { case: `PartialJSON, ${(small.length / 1024).toFixed(0)} KB in 3-character slices`, us: smallMs * 1e3 },
    {
      case: `PartialJSON, ${(big.length / 1024).toFixed(0)} KB in 3-character slices: cost per character vs at 1 KB`,
      us: bigMs * 1e3,
      versus: "per character at 1 KB",
      ratio: perCharBig / perCharSmall,
    },
    { case: `PartialJSON, ${(big.length / 1024).toFixed(0)} KB in 3-character slices: whole vs one JSON.parse`, us: bigMs * 1e3, versus: "JSON.parse", ratio: bigMs / parseMs },
    { case: `JSON.parse of the ${(big.length / 1024).toFixed(0)} KB text`, us: parseMs * 1e3 },
    { case: `(no target) the same, with the value read after every slice`, us: readingMs * 1e3, versus: "JSON.parse (read after each slice)", ratio: readingMs / parseMs },
  ];
}
