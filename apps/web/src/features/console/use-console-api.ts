import { useApi } from '../../lib/api';
import { createConsoleApi } from './console.api';

/** The console's admin.* calls, on the app's client. */
export function useConsoleApi() {
  return createConsoleApi(useApi());
}
