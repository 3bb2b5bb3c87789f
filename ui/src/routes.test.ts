import { describe, expect, it } from 'vitest';
import { ApiError, ROUTES, httpRequest, type Command } from './transport';

// The contract's table (docs/API.md): command -> HTTP method and path.
const CONTRACT: [Command, string, string][] = [
  ['health', 'GET', '/api/health'],
  ['info', 'GET', '/api/info'],
  ['tree', 'GET', '/api/tree'],
  ['keys', 'GET', '/api/keys'],
  ['keys_meta', 'POST', '/api/keys/meta'],
  ['key', 'GET', '/api/key'],
  ['key_set', 'PUT', '/api/key'],
  ['key_delete', 'DELETE', '/api/key'],
  ['key_ttl', 'POST', '/api/key/ttl'],
  ['key_rename', 'POST', '/api/key/rename'],
  ['invalidate', 'POST', '/api/invalidate'],
  ['job', 'GET', '/api/jobs/{id}'],
  ['job_cancel', 'DELETE', '/api/jobs/{id}'],
  ['streams', 'GET', '/api/streams'],
  ['stream_entries', 'GET', '/api/stream/entries'],
  ['stream_pending', 'GET', '/api/stream/pending'],
  ['stream_tail', 'POST', '/api/stream/tail'],
  ['stream_tail_stop', 'DELETE', '/api/stream/tail/{tail_id}'],
  ['monitor', 'POST', '/api/monitor'],
  ['monitor_stats', 'GET', '/api/monitor'],
  ['monitor_stop', 'DELETE', '/api/monitor'],
  ['publish', 'POST', '/api/publish'],
  ['metrics', 'GET', '/api/metrics'],
  ['slowlog', 'GET', '/api/slowlog'],
  ['slowlog_reset', 'DELETE', '/api/slowlog'],
  ['clients', 'GET', '/api/clients'],
  ['client_kill', 'POST', '/api/clients/kill'],
  ['config_get', 'GET', '/api/config'],
  ['server_action', 'POST', '/api/server'],
  ['console', 'POST', '/api/console'],
  ['profiles', 'GET', '/api/profiles'],
  ['profile_save', 'PUT', '/api/profiles'],
  ['profile_delete', 'DELETE', '/api/profiles'],
  ['profile_test', 'POST', '/api/profiles/test'],
  ['connect', 'POST', '/api/connect'],
  ['services', 'GET', '/api/services'],
  ['findings', 'GET', '/api/findings'],
  ['findings_job', 'GET', '/api/findings/jobs/{id}'],
  ['findings_job_cancel', 'DELETE', '/api/findings/jobs/{id}'],
  ['series', 'GET', '/api/series'],
];

describe('ROUTES', () => {
  it('holds exactly the 40 commands of the contract, each with its method and path', () => {
    expect(Object.keys(ROUTES).sort()).toEqual(CONTRACT.map(([c]) => c).sort());
    expect(Object.keys(ROUTES)).toHaveLength(40);
    for (const [command, method, path] of CONTRACT) expect(ROUTES[command], command).toEqual({ method, path });
  });

  it('fills path parameters and leaves them out of the query', () => {
    const job = httpRequest('job', { id: 'j 1' }, null);
    expect(job.url).toBe('/api/jobs/j%201');
    expect(job.init.method).toBe('GET');
    const stop = httpRequest('stream_tail_stop', { tail_id: 't7' }, 'tok');
    expect(stop.url).toBe('/api/stream/tail/t7');
    expect(stop.init.method).toBe('DELETE');
    expect(() => httpRequest('job_cancel', {}, null)).toThrow(ApiError);
  });

  it('sends POST/PUT arguments as a JSON body and DELETE arguments in the query', () => {
    const put = httpRequest('key_set', { key_b64: 'AP8=', op: 'hset', field: 'f', value: 'v' }, 'tok');
    expect(put.url).toBe('/api/key');
    expect(put.init.method).toBe('PUT');
    expect(JSON.parse(put.init.body as string)).toEqual({ key_b64: 'AP8=', op: 'hset', field: 'f', value: 'v' });
    expect((put.init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    const del = httpRequest('key_delete', { key: 'a:b' }, 'tok');
    expect(del.url).toBe('/api/key?key=a%3Ab');
    expect(del.init.body).toBeUndefined();
    const meta = httpRequest('keys_meta', { keys_b64: ['YQ==', 'Yg=='] }, null);
    expect(JSON.parse(meta.init.body as string)).toEqual({ keys_b64: ['YQ==', 'Yg=='] });
    const keys = httpRequest('keys', { match: 'market:*', type: undefined, cursor: '0', count: 500 }, null);
    expect(keys.url).toBe('/api/keys?match=market%3A*&cursor=0&count=500');
  });
});
