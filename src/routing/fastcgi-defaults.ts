import type { FastcgiPolicy } from './route-table.ts';

/** What `spec.fastcgi` means when absent (the CRD's defaults), and the annotations' base. */
export const FASTCGI_DEFAULTS: FastcgiPolicy = {
  documentRoot: '/var/www/html',
  index: 'index.php',
  splitPathInfo: '.php',
  params: [],
};
