/**
 * The stop words of coco-caption's WMD scorer (ruotianluo/coco-caption `pycocoevalcap/wmd/data/stopwords.txt`:
 * NLTK's English list, 153 words on one line separated by single spaces; sha256 of the file
 * 990bbbe788d4e191f84116d965d6fd9b2815aa9d04d81bf8a46c16e68dc294f8, checked in `wmd.test.ts`). Matched exactly
 * and case-sensitively against the PTB tokens.
 */

/** The stop-word file's text (its words separated by single spaces). */
export const WMD_STOP_WORDS_TEXT =
  'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them their theirs themselves what which who whom this that these those am is are was were be been being have has had having do does did doing a an the and but if or because as until while of at by for with about against between into through during before after above below to from up down in out on off over under again further then once here there when where why how all any both each few more most other some such no nor not only own same so than too very s t can will just don should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn weren won wouldn';

/** The stop words as a set. */
export const WMD_STOP_WORDS: ReadonlySet<string> = new Set(WMD_STOP_WORDS_TEXT.split(' '));
