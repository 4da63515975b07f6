const EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Whether a directory entry is a manifest Pier reads: `*.yaml`, `*.yml` or `*.json`, not hidden.
 * Hidden names cover editor and tool leftovers (`.#x.yaml` Emacs locks, `.x.yaml.swp` Vim swap
 * files, `.x.yaml.tmp` written before an atomic rename, Kubernetes ConfigMap `..data` links);
 * `x.yaml~` backups and `#x.yaml#` autosaves fail the extension test.
 */
export function isManifestFileName(name: string): boolean {
  if (name.startsWith('.') || name.includes('/')) return false;
  return EXTENSIONS.some((ext) => name.endsWith(ext) && name.length > ext.length);
}
