/** Pure helpers of the proxy bench: a streamed tar archive (a build context of any size without a file). */

const BLOCK = 512;

/** A ustar header for a regular file (mode 0644, owner 0, mtime 0). */
export function tarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name longer than 100 bytes: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  const field = (offset: number, length: number, value: string) => h.write(value, offset, length, 'ascii');
  const octal = (offset: number, length: number, n: number) =>
    field(offset, length, n.toString(8).padStart(length - 1, '0') + '\0');
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(148, 8, '        '); // checksum counts as spaces while summing
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** Zero bytes that pad `size` up to a whole number of 512-byte blocks. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);
}

/**
 * A tar archive of `files` (small ones, in memory) and one `bigName` of `bigSize` zero bytes, yielded in chunks
 * of `chunkSize`, so a gigabyte context costs the sender no memory.
 */
export function* tarStream(
  files: Record<string, string>,
  bigName: string,
  bigSize: number,
  chunkSize = 1 << 20,
): Generator<Buffer> {
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    yield Buffer.concat([tarHeader(name, data.length), data, tarPadding(data.length)]);
  }
  yield tarHeader(bigName, bigSize);
  const zeros = Buffer.alloc(chunkSize, 0);
  for (let left = bigSize; left > 0; left -= chunkSize)
    yield left >= chunkSize ? zeros : zeros.subarray(0, left);
  yield tarPadding(bigSize);
  yield Buffer.alloc(BLOCK * 2, 0); // end of archive
}
