// What the connected server offers beyond core Redis (`modules`: product, version, RedisJSON,
// RediSearch, RedisBloom), asked once per connection and shared by the pages that show
// module features only where they work.

import type { ServerModules } from './api.gen';
import type { Transport } from './transport';

let cached: { url: string; reply: Promise<ServerModules> } | null = null;

/** The server's modules for connection `url` (asked again when the URL changes or `fresh`). */
export function serverModules(api: Transport, url: string, fresh = false): Promise<ServerModules> {
  if (!cached || cached.url !== url || fresh) {
    const reply = api.call('modules');
    cached = { url, reply };
    reply.catch(() => {
      if (cached?.reply === reply) cached = null;
    });
  }
  return cached.reply;
}
