// Settings from the environment (the names the fintwin manifest lists) and `--port N`.
export function loadConfig(argv = [], env = process.env) {
  const portFlag = argv.indexOf('--port');
  const port = Number(portFlag >= 0 ? argv[portFlag + 1] : env.PORT ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port ${port}`);
  const workers = Number(env.SUT_WORKERS ?? 4);
  return {
    port,
    host: env.SUT_HOST ?? '127.0.0.1',
    database: env.SUT_DATABASE_URL ?? 'node-sut.db',
    adminToken: env.SUT_ADMIN_TOKEN || null,
    workers: Number.isInteger(workers) && workers > 0 ? workers : 4,
    log: env.SUT_QUIET ? { ...console, info() {}, warn() {} } : console,
  };
}
