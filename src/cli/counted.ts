/** `1 deployment`, `2 deployments`: a count and its noun, agreed, for the lines the CLI prints. */
export function counted(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}
