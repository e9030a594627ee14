/**
 * A unified-style line diff (` ` same, `-` only in the old text, `+` only in the new), whole texts with full
 * context: descriptions are a few dozen lines, so the longest common subsequence table is small.
 */
export function diffLines(before: readonly string[], after: readonly string[]): string[] {
  const n = before.length;
  const m = after.length;
  // lcs[i][j]: length of the longest common subsequence of before[i..] and after[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push(` ${before[i++]}`);
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // Removals before additions, as diff -u prints them.
      out.push(`-${before[i++]}`);
    } else {
      out.push(`+${after[j++]}`);
    }
  }
  return out;
}
