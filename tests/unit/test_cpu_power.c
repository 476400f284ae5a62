/* D55a: the power state of a CPU under the host's PSCI CPU_ON and CPU_OFF
 * (arch/arm64/cpu_power.h, the state machine of arch/arm64/smp.c without
 * its firmware calls). The firmware is played by the test: each thread is a
 * CPU, and the interleavings the issue names are staged with semaphores,
 * so each run checks the same order. An alarm fails a test that hangs. */
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#include "ut.h"

#include "../../arch/arm64/cpu_power.h"

static void test_on_off_sequence(void)
{
	u32 power = CPU_POWER_OFF, prev = 99;

	CHECK_EQ(cpu_power_claim(&power, &prev), 0);
	CHECK_EQ(prev, CPU_POWER_OFF);
	CHECK_EQ(cpu_power_claim(&power, &prev), PSCI_RET_ON_PENDING); /* a second CPU_ON */
	cpu_power_started(&power);
	CHECK_EQ(cpu_power_claim(&power, &prev), PSCI_RET_ALREADY_ON);
	cpu_power_off_begin(&power);
	CHECK_EQ(power, CPU_POWER_OFFING);
	CHECK_EQ(cpu_power_claim(&power, &prev), 0); /* the firmware took it: on again */
	CHECK_EQ(prev, CPU_POWER_OFFING);
	cpu_power_claim_refused(&power, prev); /* ... or not yet: ALREADY_ON */
	CHECK_EQ(power, CPU_POWER_OFFING);
	cpu_power_off_refused(&power); /* its CPU_OFF was refused after all */
	CHECK_EQ(power, CPU_POWER_ON);
}

/* The race: CPU 1's CPU_OFF is with the firmware when CPU 0's CPU_ON for
 * it claims it; the firmware refuses the CPU_OFF (CPU 1 stays on) while
 * CPU 0's CPU_ON call is still out, then answers ALREADY_ON. CPU 1 is on
 * and running: its state must say ON at the end, not OFF (the old code's
 * two plain stores: CPU 1's ON, then CPU 0's OFF). */
static u32 race_power;
static sem_t claimed, off_refused_started;

static void *cpu1_off(void *unused)
{
	(void)unused;
	cpu_power_off_begin(&race_power);
	sem_wait(&claimed); /* the firmware holds the CPU_OFF while CPU 0 claims */
	sem_post(&off_refused_started);
	cpu_power_off_refused(&race_power); /* firmware: DENIED */
	return NULL;
}

static void test_off_refused_during_on(void)
{
	pthread_t t;
	u32 prev = 99;

	alarm(10);
	race_power = CPU_POWER_ON;
	sem_init(&claimed, 0, 0);
	sem_init(&off_refused_started, 0, 0);
	pthread_create(&t, NULL, cpu1_off, NULL);
	while (cpu_power_get(&race_power) != CPU_POWER_OFFING)
		;
	CHECK_EQ(cpu_power_claim(&race_power, &prev), 0);
	CHECK_EQ(prev, CPU_POWER_OFFING);
	sem_post(&claimed);
	sem_wait(&off_refused_started);
	usleep(20000); /* CPU 1's refusal runs while the claim is out */
	CHECK_EQ(cpu_power_get(&race_power), CPU_POWER_PENDING); /* not overwritten */
	cpu_power_claim_refused(&race_power, prev); /* firmware: ALREADY_ON */
	pthread_join(t, NULL);
	CHECK_EQ(race_power, CPU_POWER_ON);
	CHECK_EQ(cpu_power_claim(&race_power, &prev), PSCI_RET_ALREADY_ON);
	alarm(0);
}

/* Many CPUs race to start one CPU: exactly one claim wins. */
static u32 many_power;
static u32 many_wins;

static void *cpu_on_racer(void *unused)
{
	u32 prev;

	(void)unused;
	for (u32 i = 0; i < 100000; i++)
		if (cpu_power_claim(&many_power, &prev) == 0)
			__atomic_add_fetch(&many_wins, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_one_claim_wins(void)
{
	pthread_t t[4];

	many_power = CPU_POWER_OFF;
	for (u32 i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, cpu_on_racer, NULL);
	for (u32 i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(many_wins, 1);
	CHECK_EQ(many_power, CPU_POWER_PENDING);
}

UT_MAIN(UT(test_on_off_sequence), UT(test_off_refused_during_on), UT(test_one_claim_wins))
