/**
 * RUN-1 with hand-checked times: each expected instant below was worked out by hand from the
 * expression and the calendar, not computed by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { createMockServer } from '../../src/index.js';
import { harness } from '../helpers/scheduler-harness.js';
import { readAll } from '../../src/control/paging.js';

describe('when scheduled runs start (RUN-1)', () => {
  it('*/15 * * * * from 10:07 fires at 10:15, 10:30, 10:45, 11:00, at second 0, as the owner', async () => {
    const h = await harness();
    h.add('q', '*/15 * * * *');
    h.control.advance('1h');
    expect(h.starts('q')).toEqual(['2026-11-26T10:15Z', '2026-11-26T10:30Z', '2026-11-26T10:45Z', '2026-11-26T11:00Z']);
    expect(readAll((page) => h.control.runs(page)).every((run) => run.userId === 'local' && run.trigger === 'schedule')).toBe(true);
  });

  it('0 9 1 * MON fires on the 1st and on every Monday (classic OR)', async () => {
    // 2026-06-01 is a Monday and the 1st; 2026-07-01 is a Wednesday; Mondays: Jun 8, 15, 22, 29, Jul 6.
    const h = await harness({ clock: { startAt: '2026-06-01T00:00:00Z' } });
    h.add('m', '0 9 1 * MON');
    h.control.setClock('2026-07-07T00:00:00Z');
    expect(h.starts('m')).toEqual([
      '2026-06-01T09:00Z',
      '2026-06-08T09:00Z',
      '2026-06-15T09:00Z',
      '2026-06-22T09:00Z',
      '2026-06-29T09:00Z',
      '2026-07-01T09:00Z',
      '2026-07-06T09:00Z',
    ]);
  });

  it.each([
    // From Thursday 2026-11-26 10:07 UTC.
    ['@hourly', ['2026-11-26T11:00Z', '2026-11-26T12:00Z']],
    ['@daily', ['2026-11-27T00:00Z', '2026-11-28T00:00Z']],
    ['@midnight', ['2026-11-27T00:00Z', '2026-11-28T00:00Z']],
    ['@weekly', ['2026-11-29T00:00Z', '2026-12-06T00:00Z']], // Sundays
    ['@monthly', ['2026-12-01T00:00Z', '2027-01-01T00:00Z']],
    ['@yearly', ['2027-01-01T00:00Z', '2028-01-01T00:00Z']],
    ['@annually', ['2027-01-01T00:00Z', '2028-01-01T00:00Z']],
  ])('%s fires first at %j', async (preset, expected) => {
    const h = await harness();
    h.add('p', preset);
    while (h.starts('p').length < 2) h.control.runToNextTick();
    expect(h.starts('p')).toEqual(expected);
  });

  it('follows the server time zone across a daylight-saving change', async () => {
    // Berlin: 09:00 CET is 08:00 UTC; summer time starts Sunday 2026-03-29 (01:00 UTC), after which
    // 09:00 CEST is 07:00 UTC.
    const h = await harness({ clock: { startAt: '2026-03-27T12:00:00Z' }, timezone: 'Europe/Berlin' });
    h.add('b', '0 9 * * *');
    h.control.setClock('2026-03-31T00:00:00Z');
    expect(h.starts('b')).toEqual(['2026-03-28T08:00Z', '2026-03-29T07:00Z', '2026-03-30T07:00Z']);
    expect(h.control.deployment('local', 'b').timezone).toBe('Europe/Berlin');
  });

  it('leaves skipped and repeated local times to croner, as the README documents', async () => {
    // Berlin, spring forward 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 does not exist.
    const spring = await harness({ clock: { startAt: '2026-03-28T12:00:00Z' }, timezone: 'Europe/Berlin' });
    spring.add('s', '30 2 * * *');
    spring.control.setClock('2026-03-30T12:00:00Z');
    // 03-29: fires at 03:00 CEST (01:00 UTC); 03-30: 02:30 CEST (00:30 UTC).
    expect(spring.starts('s')).toEqual(['2026-03-29T01:00Z', '2026-03-30T00:30Z']);

    // Fall back 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:00-02:59 happens twice.
    const fall = await harness({ clock: { startAt: '2026-10-24T12:00:00Z' }, timezone: 'Europe/Berlin' });
    fall.add('every', '*/15 2 * * *');
    fall.add('once', '30 2 * * *');
    fall.control.setClock('2026-10-25T12:00:00Z');
    expect(fall.starts('every')).toEqual([
      '2026-10-25T00:00Z',
      '2026-10-25T00:15Z',
      '2026-10-25T00:30Z',
      '2026-10-25T00:45Z',
      '2026-10-25T01:00Z',
      '2026-10-25T01:15Z',
      '2026-10-25T01:30Z',
      '2026-10-25T01:45Z',
    ]);
    expect(fall.starts('once')).toEqual(['2026-10-25T00:30Z']);
  });

  it('reads cron in UTC by default', async () => {
    const h = await harness({ clock: { startAt: '2026-03-27T12:00:00Z' } });
    h.add('u', '0 9 * * *');
    h.control.setClock('2026-03-31T00:00:00Z');
    expect(h.starts('u')).toEqual(['2026-03-28T09:00Z', '2026-03-29T09:00Z', '2026-03-30T09:00Z']);
  });

  it('refuses an unknown time zone up front', async () => {
    await expect(createMockServer({ timezone: 'Mars/Olympus_Mons' })).rejects.toThrow(
      "Unknown time zone 'Mars/Olympus_Mons': use an IANA name such as UTC or Europe/Berlin",
    );
  });

  it('lists the next due times per deployment', async () => {
    const h = await harness();
    h.add('n', '0,30 8-18/2 * * 1-5');
    // Thursday 10:07 → 10:30, 12:00, 12:30, 14:00, 14:30.
    expect(h.control.deployment('local', 'n').nextDue).toEqual([
      '2026-11-26T10:30:00.000Z',
      '2026-11-26T12:00:00.000Z',
      '2026-11-26T12:30:00.000Z',
      '2026-11-26T14:00:00.000Z',
      '2026-11-26T14:30:00.000Z',
    ]);
  });
});
