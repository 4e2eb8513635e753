/**
 * The PTB tokenizer of coco-caption (Stanford CoreNLP 3.4.1 `PTBTokenizer -preserveLines -lowerCase`, then
 * punctuation removal), in pure TypeScript.
 */
export { PTB_PUNCTUATION, ptbTokenize, ptbTokenizeLine, type PtbTokenizeLineOptions } from './ptb-tokenizer';
