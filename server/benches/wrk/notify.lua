counter = 0
local key = os.getenv("KEY")
math.randomseed(os.time())
local run = os.getenv("RUN") or math.random(1000000000)
request = function()
  counter = counter + 1
  local state = "531"
  if counter % 4 == 0 then state = "532" end
  local body = string.format('{"responseState":"%s","refTransId":"WRK_%d_%d","deploymentId":"API_1605176965390000881"}', state, run, counter)
  return wrk.format("POST", "/campaignapi/resources/v3/notifytransactionstate", {["authorization"] = "Bearer " .. key, ["content-type"] = "application/json"}, body)
end
