/**
 * Which file-system errors are the output folder's (a user error naming it and the fix) and which
 * are not (issue 14): the mapping of src/core/fsAtomic.ts outputFolderError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputFolderError } from '../../src/core/fsAtomic';
import { UserError } from '../../src/core/types';

const err = (code: string, syscall: string, p?: string) => Object.assign(new Error(`${code}: x`), { code, syscall, ...(p ? { path: p } : {}) });

test('outputFolderError: output-folder errors name the folder, the fix and how to resume', () => {
  const full = outputFolderError(err('ENOSPC', 'write'), '/runs/r1', { resumable: true });
  assert.ok(full instanceof UserError);
  assert.equal(full.code, 'E_OUTPUT_ENOSPC');
  assert.match(full.message, /The disk holding \/runs\/r1 is full\. Free some space.*--resume \/runs\/r1$/);
  const ro = outputFolderError(err('EROFS', 'open', '/runs/r1/state/.x.tmp'), '/runs/r1', { resumable: false });
  assert.match(ro!.message, /\/runs\/r1\/state is on a read-only file system/);
  assert.doesNotMatch(ro!.message, /--resume/);
  assert.match(outputFolderError(err('EACCES', 'mkdir', '/runs'), '/runs', { resumable: false })!.message, /No permission to write in \/runs\. /);
  assert.match(outputFolderError(err('EEXIST', 'mkdir', '/runs'), '/runs', { resumable: false })!.message, /\/runs exists and is not a folder/);
  // A file where a parent of the output folder should be.
  assert.match(outputFolderError(err('ENOTDIR', 'mkdir', '/data/file'), '/data/file/runs', { resumable: false })!.message, /A part of \/data\/file is a file/);
});

test('outputFolderError: errors elsewhere (the model, an image) and other codes are left as they are', () => {
  assert.equal(outputFolderError(err('EACCES', 'open', '/models/m.onnx'), '/runs', { resumable: false }), undefined);
  assert.equal(outputFolderError(err('EACCES', 'open', '/runs2/x.png'), '/runs', { resumable: false }), undefined, 'a sibling folder is not inside');
  assert.equal(outputFolderError(err('ENOENT', 'open', '/runs/x'), '/runs', { resumable: false }), undefined);
  assert.equal(outputFolderError(new Error('plain'), '/runs', { resumable: false }), undefined);
  assert.equal(outputFolderError('not an error', '/runs', { resumable: false }), undefined);
});
