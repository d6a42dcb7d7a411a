import { expect } from 'chai';
import { formatReply, formatRequest, grant, parseReply, parseRequest, ProtocolError } from '../../../src/link/protocol.js';

describe('link-probe protocol', () => {
  it('reads back what it writes', () => {
    expect(parseRequest(formatRequest({ bytes: 8_388_608, seconds: 2 }))).to.deep.equal({ bytes: 8_388_608, seconds: 2 });
    expect(parseReply(formatReply({ kind: 'ready', bytes: 1024, seconds: 1.5 }))).to.deep.equal({ kind: 'ready', bytes: 1024, seconds: 1.5 });
    expect(parseReply(formatReply({ kind: 'busy', retryAfterMs: 5000 }))).to.deep.equal({ kind: 'busy', retryAfterMs: 5000 });
  });

  const bad: [string, string][] = [
    ['GET / HTTP/1.1', 'not a OFL-LINK/1 probe request'],
    ['OFL-LINK/1 PROBE bytes=12', 'lacks seconds='],
    ['OFL-LINK/1 PROBE bytes=-1 seconds=2', 'malformed field'],
    ['OFL-LINK/2 PROBE bytes=1 seconds=2', 'not a OFL-LINK/1 probe request'],
  ];
  for (const [line, why] of bad) {
    it(`refuses the request "${line}"`, () => {
      expect(() => parseRequest(line)).to.throw(ProtocolError, why);
    });
  }

  it('refuses a reply it does not know', () => {
    expect(() => parseReply('HTTP/1.1 400 Bad Request')).to.throw(ProtocolError, 'unexpected reply');
  });

  it("grants the request lowered to the reflector's caps", () => {
    expect(grant({ bytes: 1e9, seconds: 1 }, { bytes: 64e6, seconds: 5 })).to.deep.equal({ bytes: 64e6, seconds: 1 });
  });
});
