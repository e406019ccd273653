/* v_plain_lib.c - a bundled "library" file, compiled by a plain gcc -c
 * (red zone on) in tests/kit/verdicts/README's v_plain case. */
int v_plain_lib(int x);

int v_plain_lib(int x)
{
	volatile int scratch[4] = { x, 1, 0, 0 };
	return scratch[0] + scratch[1];
}
