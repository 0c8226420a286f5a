// The browser entry's declarations: init() first, then the same functions.
import init, { validateVoice } from "txstate-validator/web";

export async function run(): Promise<1001 | 1002 | null> {
  await init();
  return validateVoice("{}").code;
}
