import { describe, expect, it } from 'vitest';
import { DEFAULT_COMPRESSION_TYPES } from '../../src/translate/annotations/compression.ts';
import { ConfigError } from '../../src/errors.ts';
import { serve } from './serve-config.ts';

describe('--compression, --compression-types, --compression-min-length (ingress-nginx\'s use-gzip, enable-brotli, gzip-types, gzip-min-length)', () => {
  it('off by default, as ingress-nginx\'s use-gzip and enable-brotli', () => {
    expect(serve([]).annotationDefaults.compression).toBeUndefined();
  });

  it('use-gzip: gzip, with gzip-types\' and gzip-min-length\'s defaults', () => {
    expect(serve(['--compression', 'gzip']).annotationDefaults.compression).toEqual({ kind: 'compression', codings: ['gzip'], minLength: 256, types: DEFAULT_COMPRESSION_TYPES });
  });

  it('codings in order of preference; own types get text/html, as nginx always compresses it', () => {
    expect(serve(['--compression', 'br,gzip', '--compression-types', 'application/json application/xml', '--compression-min-length', '1024']).annotationDefaults.compression)
      .toEqual({ kind: 'compression', codings: ['br', 'gzip'], minLength: 1024, types: ['application/json', 'application/xml', 'text/html'] });
    expect(serve(['--compression', 'gzip', '--compression-types', '*']).annotationDefaults.compression?.types).toEqual(['*']);
  });

  it('read from PIER_COMPRESSION', () => {
    expect(serve([], { PIER_COMPRESSION: 'gzip' }).annotationDefaults.compression?.codings).toEqual(['gzip']);
  });

  it.each([
    [['--compression', 'deflate'], '--compression'],
    [['--compression', ','], '--compression'],
    [['--compression', 'gzip', '--compression-types', 'text'], '--compression-types'],
    [['--compression', 'gzip', '--compression-min-length', '1k'], '--compression-min-length'],
  ])('%j stops the start naming %s', (args, flag) => {
    expect(() => serve(args)).toThrow(ConfigError);
    expect(() => serve(args)).toThrow(`invalid value for ${flag}`);
  });
});
