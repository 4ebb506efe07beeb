declare module 'asl-validator' {
  /** Validates an Amazon States Language definition (asl-validator 4). */
  export default function aslValidator(
    definition: unknown,
    opts?: { checkPaths?: boolean; checkArn?: boolean },
  ): { isValid: boolean; errors: { message: string; [k: string]: unknown }[] };
}
