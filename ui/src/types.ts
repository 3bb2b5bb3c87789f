// Shapes of the admin API's responses, as the Rust side serialises them.

export interface HealthReport {
  state: 'connected' | 'down';
  url: string;
  error: string | null;
  latency_ms: number | null;
  version: string | null;
  role: string | null;
  mode: string | null;
  uptime_s: number | null;
  used_memory: number | null;
  connected_clients: number | null;
  read_only: boolean;
}
