/**
 * What the model pickers, notifications and the analysis worker say about models: download
 * progress, cache and catalog entries, the order of the torchvision list. Pure (no `vscode`
 * import) so the worker uses it too and tests check it directly.
 */
import { formatBytes, TORCHVISION_ARCHS, type CacheEntry, type CatalogEntry, type DownloadProgress, type TorchvisionArch } from '../../core/models';

/** "45% · 110 MB of 244 MB" (or "110 MB" when the size is unknown). */
export function formatDownloadProgress(p: Pick<DownloadProgress, 'received' | 'total'>): string {
  if (p.total && p.total > 0) {
    const pct = Math.min(100, Math.floor((100 * p.received) / p.total));
    return `${pct}% · ${formatBytes(p.received)} of ${formatBytes(p.total)}`;
  }
  return formatBytes(p.received);
}

/** Percentage 0..100 of a download, or null when the size is unknown. */
export function downloadPercent(p: Pick<DownloadProgress, 'received' | 'total'>): number | null {
  if (!p.total || p.total <= 0) return null;
  return Math.max(0, Math.min(100, (100 * p.received) / p.total));
}

/** The torchvision architectures in the order the picker shows them: the study's first. */
export function orderedTorchvisionArchs(): TorchvisionArch[] {
  return [...TORCHVISION_ARCHS.filter((a) => a.study), ...TORCHVISION_ARCHS.filter((a) => !a.study)];
}

/** One line about a cache entry: "torchvision · 233 MB · 2025-05-01 · sha256 3fa2b1c0d4e5". */
export function cacheEntryDescription(e: Pick<CacheEntry, 'source' | 'size' | 'addedAt' | 'sha256'>): string {
  return `${e.source} · ${formatBytes(e.size)} · ${e.addedAt.slice(0, 10)} · sha256 ${e.sha256.slice(0, 12)}`;
}

/** Description of a catalog entry for the picker: "catalog:alexnet-bvlc · 233 MB · Caffe weights". */
export function catalogEntryDescription(m: Pick<CatalogEntry, 'id' | 'sizeBytes' | 'origin'>): string {
  const origin = m.origin === 'mxnet' ? 'MXNet' : m.origin === 'tensorflow' ? 'TensorFlow' : m.origin === 'pytorch' ? 'PyTorch' : m.origin === 'caffe' ? 'Caffe' : m.origin;
  return `${m.sizeBytes ? formatBytes(m.sizeBytes) : 'size unknown'} · ${origin} weights · catalog:${m.id}`;
}
