#!/usr/bin/env node
/**
 * Writes the `contributes`, `activationEvents` and `capabilities` sections of package.json (and
 * nothing else). The settings schema and the trust-restricted keys are derived from the settings
 * table (src/core/settings/table.ts, via src/extension/settings.ts), so package.json is generated:
 * run `npm run contributes` after changing a setting or a command here.
 * test/extension/settings.test.ts fails when package.json is out of date (CI runs npm test).
 * TypeScript run with tsx, so that it imports the table itself rather than a built copy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { configurationProperties, restrictedConfigurations } from '../src/extension/settings';

export const PACKAGE_JSON = path.join(__dirname, '..', 'package.json');

/**
 * The Getting Started walkthrough (issue 15): opened from the Welcome page or "Sparsity Lens: Get
 * Started"; its media are media/walkthrough/*.md (test/extension/walkthrough.test.ts checks the
 * files exist and every command link is a registered command).
 */
export const WALKTHROUGH_ID = 'sparsityLens.gettingStarted';
const WALKTHROUGHS = [
  {
    id: WALKTHROUGH_ID,
    title: 'Get Started with Sparsity Lens',
    description: 'Run the demo in one click, read the panel, then analyse your own images.',
    steps: [
      {
        id: 'tryDemo',
        title: 'Run the demo',
        description:
          'Generates 200 images of 10 drawn object categories into a new folder of your workspace (sparsity-demo-stimuli) and analyses them with the small CNN that ships with the extension: PSI per layer, accuracy and the lesion controls.\n[Run the Demo](command:sparsityLens.tryDemo)',
        media: { markdown: 'media/walkthrough/demo.md' },
        completionEvents: ['onCommand:sparsityLens.tryDemo'],
      },
      {
        id: 'readPanel',
        title: 'Read the panel',
        description: 'What PSI is, and what each chart and table of the Sparsity panel shows.',
        media: { markdown: 'media/walkthrough/panel.md' },
        completionEvents: ['onStepSelected'],
      },
      {
        id: 'analyzeOwn',
        title: 'Analyse your own images',
        description:
          'Right-click a folder with one sub-folder of images per category in the Explorer and choose **Analyze Sparsity**. The first time you are asked for the model (ONNX, TF.js, torchvision, a catalog entry or a URL).\n[Choose Model](command:sparsityLens.chooseModel)\n[Analyze a Folder](command:sparsityLens.analyzeFolder)',
        media: { markdown: 'media/walkthrough/own-folder.md' },
        completionEvents: ['onCommand:sparsityLens.analyzeFolder'],
      },
      {
        id: 'settings',
        title: 'Settings',
        description: 'Images per category, layers, controls, preprocessing and the output folder are settings (per workspace or per folder).\n[Open Sparsity Lens Settings](command:workbench.action.openSettings?%5B%22sparsityLens%22%5D)',
        media: { markdown: 'media/walkthrough/settings.md' },
        completionEvents: ['onCommand:workbench.action.openSettings'],
      },
    ],
  },
];

/** `pkg` with its generated sections replaced (a new object; other fields and their order kept). */
export function withContributes(pkg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...pkg };
  const C = 'Sparsity Lens';
  out.activationEvents = ['onWebviewPanel:sparsityLens.report', 'onCustomEditor:sparsityLens.reportViewer'];
  out.capabilities = {
    untrustedWorkspaces: {
      supported: 'limited',
      description: 'In an untrusted workspace Sparsity Lens does not load a model named by the workspace\'s settings (running a model executes its graph in native code), does not run Python or download models, and ignores the workspace\'s output folder, Python path and download limit. Choose a model file or a cached model yourself, or trust the workspace.',
      restrictedConfigurations: restrictedConfigurations(),
    },
  };
  out.contributes = {
    commands: [
      { command: 'sparsityLens.analyzeFolder', title: 'Analyze Sparsity', category: C, icon: '$(graph)' },
      { command: 'sparsityLens.analyzeOnCluster', title: 'Analyze on Cluster...', category: C, icon: '$(server-process)' },
      { command: 'sparsityLens.openReport', title: 'Open Report…', category: C },
      { command: 'sparsityLens.chooseModel', title: 'Choose Model…', category: C },
      { command: 'sparsityLens.showLayers', title: 'Show Layers of Model', category: C },
      { command: 'sparsityLens.analysisOptions', title: 'Analysis Options…', category: C },
      { command: 'sparsityLens.manageModels', title: 'Manage Cached Models', category: C },
      { command: 'sparsityLens.exportReport', title: 'Export Report…', category: C, icon: '$(save-as)' },
      { command: 'sparsityLens.cancelAnalysis', title: 'Cancel Analysis', category: C },
      { command: 'sparsityLens.resumeAnalysis', title: 'Resume Analysis…', category: C },
      { command: 'sparsityLens.compareReports', title: 'Compare Reports…', category: C },
      { command: 'sparsityLens.compareWith', title: 'Compare with…', category: C, icon: '$(diff)' },
      { command: 'sparsityLens.tryDemo', title: 'Try the Demo', category: C, icon: '$(beaker)' },
      { command: 'sparsityLens.gettingStarted', title: 'Get Started', category: C },
    ],
    menus: {
      'explorer/context': [
        { command: 'sparsityLens.analyzeFolder', when: 'explorerResourceIsFolder', group: '7_sparsityLens@1' },
        { command: 'sparsityLens.analyzeOnCluster', when: 'explorerResourceIsFolder', group: '7_sparsityLens@2' },
        // Two or more selected report files or run folders (VS Code passes the clicked and the selected resources).
        { command: 'sparsityLens.compareReports', when: 'listMultiSelection && (explorerResourceIsFolder || resourceFilename == report.sparsity.json)', group: '7_sparsityLens@3' },
      ],
      'editor/title': [
        { command: 'sparsityLens.exportReport', when: 'activeCustomEditorId == sparsityLens.reportViewer || activeWebviewPanelId == sparsityLens.report', group: 'navigation' },
        { command: 'sparsityLens.compareWith', when: 'activeCustomEditorId == sparsityLens.reportViewer || activeWebviewPanelId == sparsityLens.report', group: 'navigation' },
      ],
      commandPalette: [
        { command: 'sparsityLens.cancelAnalysis', when: 'sparsityLens.running' },
        { command: 'sparsityLens.compareWith', when: 'activeCustomEditorId == sparsityLens.reportViewer || activeWebviewPanelId == sparsityLens.report' },
      ],
    },
    configuration: { title: C, properties: configurationProperties() },
    walkthroughs: WALKTHROUGHS,
    // The Explorer with no folder open (where "Try the Demo" cannot write yet).
    viewsWelcome: [
      {
        view: 'explorer',
        contents: 'Sparsity Lens measures how sparsely each layer of an image classifier codes object categories. Open a folder, then try the demo.\n[Get Started with Sparsity Lens](command:sparsityLens.gettingStarted)',
        when: 'workbenchState == empty',
      },
    ],
    customEditors: [
      {
        viewType: 'sparsityLens.reportViewer',
        displayName: 'Sparsity Report',
        selector: [{ filenamePattern: '*.sparsity.json' }],
        priority: 'default',
      },
    ],
  };
  return out;
}

/** package.json as this script would write it. */
export function generatedPackageJson(current = readFileSync(PACKAGE_JSON, 'utf8')): string {
  return JSON.stringify(withContributes(JSON.parse(current)), null, 2) + '\n';
}

if (require.main === module) {
  writeFileSync(PACKAGE_JSON, generatedPackageJson());
  console.log('package.json: contributes, activationEvents, capabilities written');
}
