/**
 * `@caption/models-clipcap`: CLIP (image encoders, CLIP or GPT-2 text encoder, contrastive loss) and the CLIP+GPT
 * prefix captioner (ClipCap), with the reference implementations' weight names, on `@caption/core`.
 *
 * @packageDocumentation
 */
import { registerModuleClass, type ModuleClass } from '@caption/core';

/** This package's module classes, registered with core's `registerModuleClass` when the package is loaded. */
export const CLIPCAP_MODULE_CLASSES: readonly ModuleClass[] = [];

registerModuleClass(...CLIPCAP_MODULE_CLASSES);
