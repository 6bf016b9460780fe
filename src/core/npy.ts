/** NumPy .npy (format 1.0) writer/reader for float32/float64/int32 C-order arrays. */
const MAGIC = '\x93NUMPY';

type Typed = Float32Array | Float64Array | Int32Array;

function descr(a: Typed): string {
  return a instanceof Float32Array ? '<f4' : a instanceof Float64Array ? '<f8' : '<i4';
}

export function encodeNpy(data: Typed, shape: number[]): Uint8Array {
  const n = shape.reduce((x, y) => x * y, 1);
  if (n !== data.length) throw new Error(`npy: shape ${shape} does not match ${data.length} values`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr(data)}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Pad so that magic(6)+version(2)+len(2)+header is a multiple of 64, ending in '\n'.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  for (let i = 0; i < 6; i++) out[i] = MAGIC.charCodeAt(i);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export function decodeNpy(buf: Uint8Array): { data: Typed; shape: number[] } {
  const headerLen = buf[8] | (buf[9] << 8);
  const header = Buffer.from(buf.subarray(10, 10 + headerLen)).toString('latin1');
  const d = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  // Copy into a fresh ArrayBuffer: a Node Buffer is a view into a shared pool.
  const body = Uint8Array.prototype.slice.call(buf, 10 + headerLen);
  const data =
    d === '<f4' ? new Float32Array(body.buffer) : d === '<f8' ? new Float64Array(body.buffer) : d === '<i4' ? new Int32Array(body.buffer) : null;
  if (!data) throw new Error(`npy: unsupported dtype ${d}`);
  return { data, shape };
}
