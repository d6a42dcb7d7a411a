/**
 * Label selectors as the API server evaluates them: every matchLabels pair and every expression must
 * hold; an empty selector selects everything.
 */
import { expect } from 'chai';
import { matchesSelector, type LabelSelector } from '../../../src/kube/selectors.js';

const LAB = { app: 'lab', tier: 'desktop', room: 'b12' };

describe('matchesSelector', () => {
  // [what, selector, labels, selected]
  const rows: [string, LabelSelector, Record<string, string> | undefined, boolean][] = [
    ['an empty selector selects labelled objects', {}, LAB, true],
    ['an empty selector selects objects without labels', {}, undefined, true],
    ['empty matchLabels and matchExpressions select everything', { matchLabels: {}, matchExpressions: [] }, {}, true],

    ['matchLabels: every pair present', { matchLabels: { app: 'lab', room: 'b12' } }, LAB, true],
    ['matchLabels: one value differs', { matchLabels: { app: 'lab', room: 'b13' } }, LAB, false],
    ['matchLabels: the key is missing', { matchLabels: { pool: 'client' } }, LAB, false],
    ['matchLabels: the object has no labels', { matchLabels: { app: 'lab' } }, undefined, false],
    ['matchLabels: values compare exactly (case)', { matchLabels: { app: 'Lab' } }, LAB, false],
    ['matchLabels: an empty value matches only an empty value', { matchLabels: { gpu: '' } }, { gpu: '' }, true],
    ['matchLabels: an empty value does not match a missing key', { matchLabels: { gpu: '' } }, LAB, false],

    ['In: the value is listed', { matchExpressions: [{ key: 'room', operator: 'In', values: ['b11', 'b12'] }] }, LAB, true],
    ['In: the value is not listed', { matchExpressions: [{ key: 'room', operator: 'In', values: ['b11'] }] }, LAB, false],
    ['In: the key is missing', { matchExpressions: [{ key: 'pool', operator: 'In', values: ['client'] }] }, LAB, false],
    ['In: no labels at all', { matchExpressions: [{ key: 'room', operator: 'In', values: ['b12'] }] }, undefined, false],
    ['In: no values listed selects nothing', { matchExpressions: [{ key: 'room', operator: 'In' }] }, LAB, false],

    ['NotIn: the value is not listed', { matchExpressions: [{ key: 'room', operator: 'NotIn', values: ['b11'] }] }, LAB, true],
    ['NotIn: the value is listed', { matchExpressions: [{ key: 'room', operator: 'NotIn', values: ['b11', 'b12'] }] }, LAB, false],
    ['NotIn: the key is missing', { matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['client'] }] }, LAB, true],
    ['NotIn: no labels at all', { matchExpressions: [{ key: 'room', operator: 'NotIn', values: ['b12'] }] }, undefined, true],

    ['Exists: the key is present', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, LAB, true],
    ['Exists: the key is present with an empty value', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, { gpu: '' }, true],
    ['Exists: the key is missing', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, LAB, false],
    ['Exists: no labels at all', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, undefined, false],
    ['Exists: a key inherited from Object.prototype is not a label', { matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, LAB, false],

    ['DoesNotExist: the key is missing', { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, LAB, true],
    ['DoesNotExist: no labels at all', { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, undefined, true],
    ['DoesNotExist: the key is present', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, LAB, false],
    ['DoesNotExist: the key is present with an empty value', { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, { gpu: '' }, false],

    [
      'matchLabels and expressions all hold',
      { matchLabels: { app: 'lab' }, matchExpressions: [{ key: 'room', operator: 'In', values: ['b12'] }, { key: 'gpu', operator: 'DoesNotExist' }] },
      LAB,
      true,
    ],
    [
      'matchLabels hold but one expression fails',
      { matchLabels: { app: 'lab' }, matchExpressions: [{ key: 'room', operator: 'In', values: ['b12'] }, { key: 'tier', operator: 'DoesNotExist' }] },
      LAB,
      false,
    ],
    [
      'expressions hold but matchLabels fail',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      LAB,
      false,
    ],
  ];
  for (const [what, selector, labels, selected] of rows) {
    it(`${what}: ${selected ? 'selected' : 'not selected'}`, () => {
      expect(matchesSelector(selector, labels)).to.equal(selected);
    });
  }

  it('leaves the selector and the labels unchanged', () => {
    const selector: LabelSelector = { matchLabels: { app: 'lab' }, matchExpressions: [{ key: 'room', operator: 'In', values: ['b12'] }] };
    const labels = { ...LAB };
    const before = JSON.stringify([selector, labels]);
    matchesSelector(selector, labels);
    expect(JSON.stringify([selector, labels])).to.equal(before);
  });
});
