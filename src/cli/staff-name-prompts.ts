import { staffUserInput } from '../domain/people/staff.js';
import type { CommandEnv } from './io.js';
import { requireFlag } from './prompts.js';

interface NameFlag {
  value: string | undefined;
  flag: string;
  message: string;
  placeholder?: string;
}

/**
 * A new member of staff's username and full name: from their flags, or asked for on a terminal and
 * checked there as the domain will check them (`staff add`, and `init` for the first admin).
 */
export async function requireStaffNames(env: CommandEnv, names: { username: NameFlag; fullName: NameFlag }): Promise<{ username: string; fullName: string }> {
  const shape = staffUserInput.shape;
  const { username, fullName } = names;
  return {
    username: await requireFlag(env, username.value, username.flag, { message: username.message, placeholder: username.placeholder, schema: shape.username }),
    fullName: await requireFlag(env, fullName.value, fullName.flag, { message: fullName.message, placeholder: fullName.placeholder, schema: shape.fullName }),
  };
}
