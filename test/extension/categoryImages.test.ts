/**
 * The drill-down's thumbnail listing on the host (src/extension/categoryImages.ts): a category
 * index → the first image files of its folder by name, how many more, and clear refusals (the
 * dataset folder gone, a name that climbs out, links out of the dataset).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SparsityReport } from '../../src/core/report/schema';
import { listCategoryImages, THUMBNAIL_LIMIT } from '../../src/extension/categoryImages';

const sample: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8'));
let tmp = '';
let root = '';

function reportOf(datasetPath: string, names: string[], skipped: SparsityReport['skipped'] = []): SparsityReport {
  const r: SparsityReport = structuredClone(sample);
  r.dataset.path = datasetPath;
  r.categories = names.map((name) => ({ name, images: 1 }));
  r.skipped = skipped;
  return r;
}

const touch = (p: string, bytes = 'x'): void => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
};

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-catimg-'));
  root = path.join(tmp, 'dataset');
  // "many": 20 JPEGs named out of order, a TIFF (not previewable), a text file, a dot file, a sub-folder
  for (const i of [7, 3, 12, 1, 19, 0, 5, 14, 9, 2, 18, 4, 11, 6, 16, 8, 13, 10, 17, 15]) touch(path.join(root, 'many', `img${String(i).padStart(2, '0')}.jpg`));
  touch(path.join(root, 'many', 'scan.tif'));
  touch(path.join(root, 'many', 'notes.txt'));
  touch(path.join(root, 'many', '.hidden.jpg'));
  touch(path.join(root, 'many', 'nested', 'deep.jpg'));
  // "few": 3 images, one of them skipped by the run (it did not decode)
  for (const f of ['b.png', 'a.webp', 'c.jpg']) touch(path.join(root, 'few', f));
  // "links": one link to an image inside the dataset, one to an image outside it
  touch(path.join(tmp, 'outside', 'secret.jpg'));
  touch(path.join(root, 'links', 'own.jpg'));
  fs.symlinkSync(path.join(root, 'few', 'a.webp'), path.join(root, 'links', 'inside.webp'));
  fs.symlinkSync(path.join(tmp, 'outside', 'secret.jpg'), path.join(root, 'links', 'outside.jpg'));
  // a category folder that is a link out of the dataset
  fs.symlinkSync(path.join(tmp, 'outside'), path.join(root, 'escaped'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('listCategoryImages', () => {
  it('lists the first THUMBNAIL_LIMIT images by name and counts the others', () => {
    const r = reportOf(root, ['few', 'many']);
    const l = listCategoryImages(r, 1);
    assert.ok(l.ok, JSON.stringify(l));
    assert.equal(l.name, 'many');
    assert.equal(l.folder, path.join(root, 'many'));
    const expected = Array.from({ length: THUMBNAIL_LIMIT }, (_, i) => path.join(root, 'many', `img${String(i).padStart(2, '0')}.jpg`));
    assert.deepEqual(l.files, expected);
    // 20 JPEGs + the TIFF are image files; 12 shown
    assert.equal(l.more, 21 - THUMBNAIL_LIMIT);
    assert.match(l.note ?? '', /1 sub-folder/);
  });

  it('takes a smaller limit, and leaves out files the run skipped', () => {
    const r = reportOf(root, ['few'], [{ file: path.join(root, 'few', 'b.png'), reason: 'truncated', kind: 'truncated' }]);
    const l = listCategoryImages(r, 0);
    assert.ok(l.ok);
    assert.deepEqual(l.files.map((f) => path.basename(f)), ['a.webp', 'c.jpg']);
    assert.equal(l.more, 1);
    const two = listCategoryImages(reportOf(root, ['many']), 0, 2);
    assert.ok(two.ok);
    assert.deepEqual(two.files.map((f) => path.basename(f)), ['img00.jpg', 'img01.jpg']);
    assert.equal(two.more, 19);
  });

  it('says the dataset folder does not exist (a report from another machine)', () => {
    const gone = path.join(tmp, 'not-here');
    const l = listCategoryImages(reportOf(gone, ['few']), 0);
    assert.equal(l.ok, false);
    assert.match((l as { message: string }).message, new RegExp(`dataset folder ${gone.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`));
  });

  it('says the category folder is gone when only it is', () => {
    const l = listCategoryImages(reportOf(root, ['removed']), 0);
    assert.equal(l.ok, false);
    assert.match((l as { message: string }).message, /category folder .*removed does not exist/);
  });

  it('refuses a category name that is not one folder inside the dataset', () => {
    for (const name of ['..', '../outside', 'few/../..', '.', '']) {
      const l = listCategoryImages(reportOf(root, [name]), 0);
      assert.equal(l.ok, false, name);
      assert.match((l as { message: string }).message, /not a folder name inside the dataset folder/, name);
    }
  });

  it('refuses a category folder that links out of the dataset, and files that do', () => {
    const esc = listCategoryImages(reportOf(root, ['escaped']), 0);
    assert.equal(esc.ok, false);
    assert.match((esc as { message: string }).message, /outside the dataset folder/);
    const l = listCategoryImages(reportOf(root, ['links']), 0);
    assert.ok(l.ok);
    assert.deepEqual(l.files.map((f) => path.basename(f)), ['inside.webp', 'own.jpg']);
    assert.equal(l.more, 1); // outside.jpg: counted, not shown
  });

  it('answers an index past the categories with a message, not a crash', () => {
    const l = listCategoryImages(reportOf(root, ['few']), 5);
    assert.equal(l.ok, false);
    assert.match((l as { message: string }).message, /no category #6 \(it has 1\)/);
  });
});
