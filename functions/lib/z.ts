/**
 * The zod every Lambda uses: `zod/mini`, the tree-shakable form of the same library (same core,
 * same parsing and issues, functional API), with English messages. Classic `zod` would put its whole
 * method API and JSON Schema converter into every bundle, and `z.locales` every language; this loads
 * only English, configured once here so that every schema module's errors read as they always did
 * ("Invalid input: expected string, received undefined", "Too small: ...").
 */

import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export * from 'zod/mini';
