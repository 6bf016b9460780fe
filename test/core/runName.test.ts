/** Run folder names say dataset and model (issue 12). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelFolderPart, runFolderBase } from '../../src/core/runName';

test('run folder base: <dataset>-<model>', () => {
  assert.equal(runFolderBase('/data/ImageNet val', '/m/alexnet.onnx'), 'ImageNet_val-alexnet');
  assert.equal(modelFolderPart('/repo/media/demo-model/model.json'), 'demo-model');
  assert.equal(modelFolderPart('/cache/x/model.onnx', 'torchvision:resnet18'), 'resnet18');
  assert.equal(modelFolderPart('/cache/x/model.onnx', 'torchvision:resnet18:random'), 'resnet18-random');
  assert.equal(modelFolderPart('/cache/x/model.onnx', 'torchvision:vgg11:random:7'), 'vgg11-random7');
  assert.equal(modelFolderPart('/cache/x/model.onnx', 'catalog:squeezenet1.1'), 'squeezenet1.1');
  assert.equal(modelFolderPart('/m/My Model.onnx', 'file'), 'My_Model');
});
