/**
 * Preloaded into a Pier process (`NODE_OPTIONS=--import=<this file>`, inherited by its workers)
 * to stand for a Node release that removed what Pier's lean HTTP/1.1 layer uses:
 * `require('_http_common')` fails as for a module that does not exist, and `process.binding` is
 * gone. node:http itself keeps working (it loads its internals through Node's own loader).
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    if (specifier === '_http_common' || specifier === 'node:_http_common') {
      throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
    }
    return next(specifier, context);
  },
});
Reflect.deleteProperty(process, 'binding');
