/**
 * Checks that a file is an ONNX model without loading its weights: the protobuf is walked
 * field by field with positional reads (so a 550 MB VGG costs a few KB of memory), every
 * length is bounds-checked (a truncated file fails here), and the small messages — the model
 * header, every NodeProto, the graph inputs/outputs — are decoded with `onnx-proto`.
 */
import * as fs from 'fs';
import { onnx } from 'onnx-proto';

export interface OnnxValueInfo {
  name: string;
  /** Per dimension: a number, a symbolic name (`batch`, `N`), or null when unknown. */
  shape: (number | string | null)[] | null;
}

export interface OnnxSummary {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  nodeCount: number;
  /** Operator type → number of nodes (top-level graph only). */
  opCounts: Record<string, number>;
  /** Graph inputs that are not initializers (the real model inputs). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializerCount: number;
  /** True if some initializer keeps its data in an external file. */
  externalData: boolean;
  fileSize: number;
}

/** A malformed or truncated file; `message` says what is wrong, without the path. */
export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

const WINDOW = 64 * 1024;

class PositionalReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly fd: number, readonly size: number) {}

  private ensure(pos: number, len: number): void {
    if (pos >= this.bufStart && pos + len <= this.bufStart + this.buf.length) return;
    const want = Math.max(len, WINDOW);
    const n = Math.min(want, this.size - pos);
    const b = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = fs.readSync(this.fd, b, got, n - got, pos + got);
      if (r === 0) break;
      got += r;
    }
    this.buf = b.subarray(0, got);
    this.bufStart = pos;
  }

  byteAt(pos: number): number {
    if (pos >= this.size) throw new OnnxFormatError('the file ends in the middle of a field (truncated)');
    this.ensure(pos, 1);
    return this.buf[pos - this.bufStart];
  }

  /** Returns [value, nextPos]. Values above 2^53 lose precision; only lengths and small ints are read. */
  varint(pos: number): [number, number] {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byteAt(pos + i);
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return [result, pos + i + 1];
    }
    throw new OnnxFormatError('a malformed varint (not a protobuf file)');
  }

  bytes(start: number, end: number): Buffer {
    if (end > this.size) throw new OnnxFormatError('the file ends in the middle of a field (truncated)');
    const out = Buffer.alloc(end - start);
    let got = 0;
    while (got < out.length) {
      const r = fs.readSync(this.fd, out, got, out.length - got, start + got);
      if (r === 0) throw new OnnxFormatError('the file ends in the middle of a field (truncated)');
      got += r;
    }
    return out;
  }
}

interface Field {
  num: number;
  wire: number;
  /** Varint value for wire type 0. */
  value: number;
  /** Payload range for wire types 1, 2, 5; tag start for all. */
  tagStart: number;
  start: number;
  end: number;
}

function* fields(r: PositionalReader, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const [tag, p1] = r.varint(pos);
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    if (num === 0) throw new OnnxFormatError('field number 0 (not a protobuf file)');
    let f: Field;
    if (wire === 0) {
      const [v, p2] = r.varint(p1);
      f = { num, wire, value: v, tagStart, start: p1, end: p2 };
    } else if (wire === 1) {
      f = { num, wire, value: 0, tagStart, start: p1, end: p1 + 8 };
    } else if (wire === 2) {
      const [len, p2] = r.varint(p1);
      f = { num, wire, value: len, tagStart, start: p2, end: p2 + len };
    } else if (wire === 5) {
      f = { num, wire, value: 0, tagStart, start: p1, end: p1 + 4 };
    } else {
      throw new OnnxFormatError(`wire type ${wire} (not an ONNX protobuf)`);
    }
    if (f.end > end) {
      throw new OnnxFormatError(
        end === r.size ? 'the file ends in the middle of a field (truncated)' : 'a field overruns its message (corrupt)',
      );
    }
    yield f;
    pos = f.end;
  }
}

function dims(vi: onnx.IValueInfoProto): (number | string | null)[] | null {
  const shape = vi.type?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue !== null && d.dimValue !== undefined) return Number(d.dimValue);
    return null;
  });
}

/** Walks and checks an ONNX file. Throws OnnxFormatError if it is not a well-formed ONNX model. */
export function inspectOnnx(file: string): OnnxSummary {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) throw new OnnxFormatError('the file is empty');
    const r = new PositionalReader(fd, size);
    const header: Buffer[] = [];
    let graph: Field | null = null;
    for (const f of fields(r, 0, size)) {
      if (f.num === 7 && f.wire === 2) {
        if (graph) throw new OnnxFormatError('two graphs in one model (corrupt)');
        graph = f;
      } else if (f.num <= 25) {
        header.push(r.bytes(f.tagStart, f.end));
      }
    }
    let model: onnx.ModelProto;
    try {
      model = onnx.ModelProto.decode(Buffer.concat(header));
    } catch (e) {
      throw new OnnxFormatError(`the model header does not decode (${(e as Error).message})`);
    }
    if (!graph) throw new OnnxFormatError('no graph in the file (not an ONNX model)');
    const irVersion = Number(model.irVersion ?? 0);
    if (irVersion < 1 || irVersion > 100) throw new OnnxFormatError(`implausible ir_version ${irVersion} (not an ONNX model)`);

    const opCounts: Record<string, number> = {};
    let nodeCount = 0;
    let initializerCount = 0;
    let externalData = false;
    const initNames = new Set<string>();
    const inputs: OnnxValueInfo[] = [];
    const outputs: OnnxValueInfo[] = [];
    for (const f of fields(r, graph.start, graph.end)) {
      if (f.wire !== 2) continue;
      if (f.num === 1) {
        let node: onnx.NodeProto;
        try {
          node = onnx.NodeProto.decode(r.bytes(f.start, f.end));
        } catch (e) {
          throw new OnnxFormatError(`node ${nodeCount + 1} does not decode (${(e as Error).message})`);
        }
        nodeCount++;
        const op = node.opType || '?';
        opCounts[op] = (opCounts[op] ?? 0) + 1;
      } else if (f.num === 5) {
        initializerCount++;
        // TensorProto: name = 8, data_location = 14 (1 = EXTERNAL). raw_data (9) is skipped, not read.
        for (const t of fields(r, f.start, f.end)) {
          if (t.num === 8 && t.wire === 2) initNames.add(r.bytes(t.start, t.end).toString('utf8'));
          if (t.num === 14 && t.wire === 0 && t.value === 1) externalData = true;
        }
      } else if (f.num === 11 || f.num === 12) {
        let vi: onnx.ValueInfoProto;
        try {
          vi = onnx.ValueInfoProto.decode(r.bytes(f.start, f.end));
        } catch (e) {
          throw new OnnxFormatError(`a graph ${f.num === 11 ? 'input' : 'output'} does not decode (${(e as Error).message})`);
        }
        (f.num === 11 ? inputs : outputs).push({ name: vi.name, shape: dims(vi) });
      }
    }
    return {
      irVersion,
      opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0) })),
      producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
      nodeCount,
      opCounts,
      inputs: inputs.filter((i) => !initNames.has(i.name)),
      outputs,
      initializerCount,
      externalData,
      fileSize: size,
    };
  } finally {
    fs.closeSync(fd);
  }
}
