// The gd console's only script. Pages work without it (reload to refresh); with it, every element
// with data-live="<url>" is fetched again every data-every milliseconds and replaced, until the
// fetched part carries data-final (a finished job). The fetched HTML is the console's own,
// rendered and escaped on the server; the page's Content-Security-Policy allows no other script.
for (const element of document.querySelectorAll('[data-live]')) {
  const every = Number(element.dataset.every) || 3000;
  const status = document.querySelector(`[data-live-status="${element.id}"]`);
  const refresh = async () => {
    try {
      const response = await fetch(element.dataset.live, { cache: 'no-store' });
      if (!response.ok) throw new Error(`the console answered ${response.status}`);
      element.innerHTML = await response.text();
      if (status) status.textContent = '';
    } catch (error) {
      if (status) status.textContent = `Not refreshed: ${error.message}. Trying again.`;
    }
    if (!element.querySelector('[data-final]')) setTimeout(refresh, every);
  };
  if (!element.querySelector('[data-final]')) setTimeout(refresh, every);
}
