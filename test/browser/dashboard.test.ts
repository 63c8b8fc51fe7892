import { BlobServiceClient, ContainerSASPermissions } from '@azure/storage-blob';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardLines, waitForExit } from '../../standins/childProcesses';
import { ROOT } from '../support/compiledBuild';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess';

/** Debian's Chromium (.ci/run installs it), or the one CHROMIUM_PATH names. */
function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found)
    throw new Error(
      'The dashboard test needs Chromium: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH',
    );
  return found;
}

/** With DASHBOARD_SCREENSHOTS=<folder>, the test saves the README's screenshots there. */
const SHOTS = process.env.DASHBOARD_SCREENSHOTS;

describe('the dashboard, in Chromium, against npm start', () => {
  let dataDir: string;
  let service: ServiceProcess;
  let browser: Browser;
  let page: Page;
  let simulator: ChildProcess | undefined;
  const simulatorOutput: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dashboard-test-'));
    // The build globalSetup made: the service exactly as npm start runs it, sweeping every second.
    service = await startServiceProcess(join(ROOT, 'dist'), dataDir, {
      LIVENESS_SWEEP_SCHEDULE: '*/1 * * * * *',
    });
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    if (SHOTS) await mkdir(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    simulator?.kill('SIGKILL');
    await browser?.close();
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const shot = async (name: string) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };
  const signIn = async (credential: string) => {
    await page.fill('#credential', credential);
    await page.click('form.sign-in button[type=submit]');
  };

  it('refuses a wrong key, then signs in with the connection string npm start printed', async () => {
    await page.goto(`${service.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await shot('sign-in');

    const wrong = service.serviceConnectionString.replace(
      /SharedAccessKey=[^;]+/,
      `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`,
    );
    await signIn(wrong);
    const error = page.getByTestId('sign-in-error');
    await error.filter({ hasText: /signature does not match/ }).waitFor();
    expect(await page.getByTestId('signed-in-as').count()).toBe(0);

    await signIn(service.serviceConnectionString);
    await page.getByTestId('signed-in-as').filter({ hasText: 'iothubowner @ localhost' }).waitFor();
    // Kept in the tab's session only, and nothing of it in the page's address.
    const kept = await page.evaluate('Object.keys(sessionStorage)');
    expect(kept).toEqual(['iot-registry.credential']);
    expect(page.url()).not.toContain('SharedAccessKey');
  });

  it('shows a simulated device going silent, with its alert', async () => {
    const httpsPort = new URL(service.httpsUrl).port;
    simulator = spawn(
      process.execPath,
      [
        join(ROOT, 'dist', 'local', 'simulateFleet.js'),
        ...['--devices', '3', '--interval', '2', '--silent', '1', '--after', '4', '--prefix', 'ui'],
      ],
      { cwd: tmpdir(), env: { ...process.env, DATA_DIR: dataDir, HTTPS_PORT: httpsPort } },
    );
    forwardLines(simulator.stdout, (l) => simulatorOutput.push(l));
    forwardLines(simulator.stderr, (l) => simulatorOutput.push(l));
    void waitForExit(simulator);

    await page.goto(`${service.url}/ui/#/`);
    const silentRow = page.getByTestId('silent-list').locator('tr', { hasText: 'ui-000' });
    await silentRow.waitFor({ timeout: 45_000 }).catch((e: unknown) => {
      throw new Error(`${String(e)}\nsimulator:\n${simulatorOutput.join('\n')}`);
    });
    // The counts follow within a refresh (5 s) of the list.
    const counts = { timeout: 15_000 };
    await expect.poll(() => page.getByTestId('count-silent').innerText(), counts).toMatch(/^1\b/);
    await expect.poll(() => page.getByTestId('count-online').innerText(), counts).toMatch(/^2\b/);
    await page.getByTestId('alerts').locator('li.silent', { hasText: 'ui-000' }).waitFor();
    // Why: its heartbeats stopped (these HTTP devices never had a connection of the hub's).
    expect(await silentRow.innerText()).toContain('heartbeat missed');
    expect(
      await page.getByTestId('alerts').locator('li.silent', { hasText: 'ui-000' }).innerText(),
    ).toContain('(heartbeat missed)');
    // The devices still heartbeating are not in the silent list.
    expect(await page.getByTestId('silent-list').locator('tr', { hasText: 'ui-001' }).count()).toBe(
      0,
    );
    await shot('fleet');
  }, 90_000);

  it('searches by ID prefix and by tag, and opens a device without showing its keys', async () => {
    const tagged = await service.call('PATCH', '/twins/ui-001', { tags: { site: 'plant-1' } });
    expect(tagged.status).toBe(200);
    const device = await service.call('GET', '/devices/ui-000');
    const primaryKey: string = device.json.authentication.symmetricKey.primaryKey;

    await page.goto(`${service.url}/ui/#/devices`);
    // Each search shows the query it ran: wait for it, not for rows an earlier one drew.
    const ran = (text: string) =>
      page.locator('device-search p.muted code', { hasText: text }).waitFor();
    await page.fill('device-search input[name=text]', 'ui-');
    await page.click('device-search button[type=submit]');
    await ran("STARTSWITH(deviceId, 'ui-')");
    const results = page.getByTestId('search-results');
    await results.locator('tr', { hasText: 'ui-002' }).waitFor();
    expect(await results.locator('tbody tr').count()).toBe(3);

    await page.selectOption('device-search select[name=mode]', 'tag');
    await page.fill('device-search input[name=text]', 'site=plant-1');
    await page.click('device-search button[type=submit]');
    await ran("tags.site = 'plant-1'");
    await expect
      .poll(() => results.locator('tbody tr').allInnerTexts())
      .toEqual([expect.stringContaining('ui-001')]);
    await page.fill('device-search input[name=text]', 'no equals sign');
    await page.click('device-search button[type=submit]');
    await page.locator('device-search [role=alert]', { hasText: 'key=value' }).waitFor();

    await page.fill('device-search input[name=text]', 'ui-000');
    await page.selectOption('device-search select[name=mode]', 'prefix');
    await page.click('device-search button[type=submit]');
    await ran("STARTSWITH(deviceId, 'ui-000')");
    await results.getByRole('link', { name: 'ui-000' }).click();
    await page.getByTestId('device-title').filter({ hasText: 'ui-000' }).waitFor();
    await page.getByTestId('liveness-state').filter({ hasText: 'silent' }).waitFor();
    expect(await page.getByTestId('liveness').innerText()).toMatch(
      /heartbeat missed[\s\S]*no connection events/,
    );
    await page.getByTestId('alerts').locator('li.silent').first().waitFor();
    expect(await page.getByTestId('identity').innerText()).toContain('sas');
    expect(await page.content()).not.toContain(primaryKey);
    await shot('device');
  }, 60_000);

  it('starts an export and follows its progress to the end', async () => {
    const blobs = BlobServiceClient.fromConnectionString(service.storageConnectionString);
    // The job container npm start makes in its Azurite: the only one of its account jobs may use.
    const container = blobs.getContainerClient('registry-jobs');
    await container.createIfNotExists();
    const sas = await container.generateSasUrl({
      permissions: ContainerSASPermissions.parse('racwdl'),
      expiresOn: new Date(Date.now() + 3600_000),
    });

    await page.goto(`${service.url}/ui/#/jobs`);
    await page.fill('job-list input[name=container]', 'https://127.0.0.1:1/not-allowed?sv=x');
    await page.click('job-list button[type=submit]');
    await page
      .getByTestId('job-message')
      .filter({ hasText: /^Not started: / })
      .waitFor();

    await page.fill('job-list input[name=container]', sas);
    await page.click('job-list button[type=submit]');
    await page
      .getByTestId('job-message')
      .filter({ hasText: /^Export \S+ started\./ })
      .waitFor();
    await page
      .getByTestId('job-list')
      .locator('tbody tr', { hasText: 'completed' })
      .filter({ hasText: '100%' })
      .waitFor({ timeout: 30_000 });
    const exported = await container.getBlobClient('devices.txt').downloadToBuffer();
    expect(exported.toString().trim().split('\n')).toHaveLength(3);
    await shot('jobs');
  }, 60_000);

  it('signs out, and sends an expired token back to the sign-in form', async () => {
    await page.click('header button');
    await page.locator('form.sign-in').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    const expired = `SharedAccessSignature sr=localhost&sig=x&se=${Math.floor(Date.now() / 1000) - 60}&skn=iothubowner`;
    await signIn(expired);
    await page.getByTestId('sign-in-error').filter({ hasText: 'expired' }).waitFor();
  });
});
