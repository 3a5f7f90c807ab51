/**
 * Types for the two natural modules vmk loads file by file. Their folder
 * index.js files pull in every stemmer and classifier natural ships (about
 * 250 ms of start-up); the single files cost about 15 ms.
 */
declare module 'natural/lib/natural/classifiers/bayes_classifier.js' {
  import type { BayesClassifier } from 'natural/lib/natural/classifiers/index.js';
  const Bayes: typeof BayesClassifier;
  export default Bayes;
}

declare module 'natural/lib/natural/stemmers/porter_stemmer.js' {
  import type { Stemmer } from 'natural/lib/natural/stemmers/index.js';
  const PorterStemmer: Stemmer;
  export default PorterStemmer;
}
