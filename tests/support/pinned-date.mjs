// Loaded with `node --import` into a CLI started by a test: the process's clock reads as if it were
// ROSHNI_TEST_NOW (an ISO instant) when it started, and runs on from there. The CLI takes "now" from
// Date, so "today" is the test's, never the machine's.
const pinned = Date.parse(process.env.ROSHNI_TEST_NOW ?? '');
if (Number.isNaN(pinned)) throw new Error('pinned-date.mjs needs ROSHNI_TEST_NOW, an ISO instant');
const RealDate = Date;
const offset = pinned - RealDate.now();

class PinnedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = PinnedDate;
