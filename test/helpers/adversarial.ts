/** The adversarial text generator lives with the stall script (it is built into dist). */
export { adversarialText, MIB } from '../../scripts/adversarial.js';
