-- Headless Neovim 0.7+ as a real LSP client: open a file, receive perfsense's diagnostics.
-- Prints "<line> <code> <source>" per diagnostic, then "exit <status>" of the server.
local root = vim.env.PERFSENSE_ROOT
local file = root .. "/" .. vim.env.PERFSENSE_FILE
local want = tonumber(vim.env.PERFSENSE_WANT or "1")
local exit_status = nil

local client_id = vim.lsp.start_client({
  name = "perfsense",
  cmd = { vim.env.PERFSENSE_PYTHON, "-m", "perfsense.lsp", "--stdio" },
  root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = "project" } },
  init_options = { debounceMs = 50 },
  on_exit = function(code, _signal) exit_status = code end,
})
if client_id == nil then
  io.stdout:write("no client\n")
  vim.cmd("cquit 2")
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = "python" -- `-u NONE`: no filetype detection, so no languageId otherwise
vim.lsp.buf_attach_client(buf, client_id)

local function ours()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == "perfsense" then table.insert(found, d) end
  end
  table.sort(found, function(a, b) return a.lnum < b.lnum end)
  return found
end

local ok = vim.wait(60000, function() return #ours() >= want end, 50)
for _, d in ipairs(ours()) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
  io.stdout:write(string.format("%d %s %s\n", d.lnum + 1, code, d.source))
end

vim.lsp.stop_client(client_id)
vim.wait(10000, function() return exit_status ~= nil end, 50)
io.stdout:write(string.format("exit %s\n", tostring(exit_status)))
if not ok then vim.cmd("cquit 3") end
vim.cmd("qall!")
