import { describe, expect, it } from 'vitest';
import { SESSIONS_ACTOR, authorizeFingerprint, sessionRunFingerprint } from './run-fingerprint';

// Fingerprints are stored with every run in the ledger. If their derivation changed, every retry of a
// run recorded before a deploy would be refused as RUN_ID_REUSED: the values below are pinned on purpose.
describe('run fingerprints', () => {
  const service = { kind: 'service', id: 'key_1' } as const;

  it.each([
    [
      'usage.authorize with a request hash',
      () => authorizeFingerprint(service, 'req-hash-1'),
      'S0f6qGXlehUteUZlK--4bGnHfGB4lnFxv3B4GiMeFNY',
    ],
    [
      'usage.authorize without a request hash',
      () => authorizeFingerprint(service, undefined),
      'YQQPaqupFR7RKnn8WlLkhmu51Mh3ZWgWtU5qf_u5W-I',
    ],
    [
      'usage.authorize with an empty request hash (= none)',
      () => authorizeFingerprint(service, ''),
      'YQQPaqupFR7RKnn8WlLkhmu51Mh3ZWgWtU5qf_u5W-I',
    ],
    [
      'usage.authorize with the default estimate (1) = one stored before estimates existed',
      () => authorizeFingerprint(service, undefined, null, 1),
      'YQQPaqupFR7RKnn8WlLkhmu51Mh3ZWgWtU5qf_u5W-I',
    ],
    [
      'usage.authorize with an estimate of 5',
      () => authorizeFingerprint(service, undefined, null, 5),
      'CWAEOMkTDVUXEfO9fNd-zSYfSCTPfq9JIeWxjf4wAWI',
    ],
    [
      'usage.authorize for a team member with an estimate of 5',
      () => authorizeFingerprint(service, undefined, 'm1', 5),
      'tKE1Suzog_weRXEAv96_Zkq2W-23_LIU29-GoxgPOEA',
    ],
    [
      'sessions.run',
      () => sessionRunFingerprint('user_1', 'ses_1', 'Summarise my inbox'),
      'OKNlNAqhXuL4JFYibXAF0DDybMb1A4C3DrI3F7f-tLM',
    ],
  ])('%s is stable', (_label, fingerprint, expected) => {
    expect(fingerprint()).toBe(expected);
  });

  it('tells apart every part of a usage.authorize request', () => {
    const fingerprints = [
      authorizeFingerprint(service, 'h'),
      authorizeFingerprint({ kind: 'user', id: 'key_1' }, 'h'),
      authorizeFingerprint({ kind: 'service', id: 'key_2' }, 'h'),
      authorizeFingerprint(service, 'h2'),
      authorizeFingerprint(service, undefined),
      // The parts are kept apart: moving characters between them is another request.
      authorizeFingerprint({ kind: 'service', id: 'key_1h' }, ''),
      // The same run id with another estimate is another request.
      authorizeFingerprint(service, 'h', null, 2),
      authorizeFingerprint(service, 'h', null, 3),
    ];
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it('tells apart every part of a sessions.run request, and both procedures', () => {
    const fingerprints = [
      sessionRunFingerprint('u', 's', 'm'),
      sessionRunFingerprint('u2', 's', 'm'),
      sessionRunFingerprint('u', 's2', 'm'),
      sessionRunFingerprint('u', 's', 'm2'),
      sessionRunFingerprint('us', '', 'm'),
      authorizeFingerprint({ kind: 'user', id: 'u' }, undefined),
    ];
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it("Tollgate's own sessions act as the internal actor 'sessions'", () => {
    expect(SESSIONS_ACTOR).toEqual({ kind: 'internal', id: 'sessions' });
  });
});
