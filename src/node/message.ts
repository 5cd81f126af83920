/**
 * The message of anything thrown. Not `instanceof Error`: errors from another realm (a vm
 * context, as under Jest) fail that test but still carry a message.
 */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}
