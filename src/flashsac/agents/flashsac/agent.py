"""The FlashSAC agent: networks, optimisers and the update order, with losses imported as pure functions.

Update step t (docs/algorithm.md 3.2): if t % actor_update_period == 0, update the actor and then the temperature;
update the critic with the just-updated actor and temperature; move the target critic by EMA; t += 1. Every
learning-rate schedule reads the same counter t (docs/algorithm.md section 0).

Batch-norm modes per forward pass follow docs/algorithm.md 2.6 ("cross-batch" evaluation): the actor is updated in
train mode on ``concat(s, s')``; the critic's value for the actor loss uses eval mode; the next action comes
from the actor in eval mode; online and target critics both run in train mode on the joint batch
``concat((s, a), (s', a'))`` so prediction and bootstrap share batch statistics.

Data parallelism (docs/distributed.md) enters through one optional ``sync``: after each backward it averages the
gradients of the step together with the batch-norm running statistics its forward passes just moved, in one
flat bucket, so that every rank applies the same optimizer step and keeps the same statistics.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from flashsac.agents.flashsac import losses
from flashsac.agents.flashsac.exploration import NoiseRepeater
from flashsac.agents.flashsac.networks import ActionScaler, Actor, Critic, Temperature
from flashsac.agents.flashsac.reward_scaling import RewardScaler
from flashsac.agents.flashsac.schedules import ema_update_, learning_rate
from flashsac.buffers.batch import Batch
from flashsac.config.schema import AgentConfig
from flashsac.envs.protocol import EnvSpec
from flashsac.nn.layers import UnitBatchNorm, project_weights_
from flashsac.runtime.compile import maybe_compile
from flashsac.runtime.distributed import RankSync
from flashsac.runtime.precision import Precision

__all__ = ["FlashSACAgent"]


class FlashSACAgent:
    """FlashSAC: SAC with norm-bounded networks, a twin categorical critic and noise-repeating exploration.

    Args:
        spec: The environment description (sizes, per-dimension action bounds, privileged critic obs).
        cfg: Agent hyper-parameters.
        device: Learner device.
        total_updates: Number of updates the run will make (sets the LR warm-up and cosine lengths).
        seed: Seed of the exploration-noise generator.
        sync: The other data-parallel ranks (``None``: a single process). Gradients and batch-norm running
            statistics are averaged over them once per optimizer step, and the reward scaler's statistics cover
            every rank's envs.
    """

    def __init__(
        self,
        spec: EnvSpec,
        cfg: AgentConfig,
        device: torch.device,
        total_updates: int,
        seed: int = 0,
        sync: RankSync | None = None,
    ) -> None:
        self.spec, self.cfg, self.device, self.sync = spec, cfg, device, sync
        action_dim = spec.action_dim
        self.use_critic_obs = cfg.asymmetric_observation and spec.critic_obs_dim is not None
        critic_obs_dim = spec.critic_input_dim if self.use_critic_obs else spec.obs_dim
        g_max = cfg.normalized_g_max

        self.action_scaler = ActionScaler(spec.action_low, spec.action_high).to(device)
        self.actor = Actor(
            spec.obs_dim,
            action_dim,
            cfg.actor_hidden_dim,
            cfg.actor_num_blocks,
            cfg.log_std_min,
            cfg.log_std_max,
            cfg.init_std,
        ).to(device)
        self.critic = Critic(
            critic_obs_dim + action_dim,
            cfg.critic_hidden_dim,
            cfg.critic_num_blocks,
            cfg.critic_num_bins,
            -g_max,
            g_max,
            cfg.critic_init_value_std,
        ).to(device)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.temperature = Temperature(cfg.temp_initial_value).to(device)
        self.reward_scaler = RewardScaler(
            spec.num_envs, cfg.gamma, g_max, device, gather=sync.gather_cat if sync is not None else None
        )
        self.noise = NoiseRepeater(
            spec.num_envs, action_dim, cfg.noise_zeta_mu, cfg.noise_zeta_max, cfg.noise_per_env, device, seed
        )
        self.entropy_target = (
            cfg.temp_target_entropy
            if cfg.temp_target_entropy is not None
            else losses.target_entropy(action_dim, cfg.temp_target_sigma)
        )

        fused = device.type == "cuda"
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=cfg.lr_peak, fused=fused)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=cfg.lr_peak, fused=fused)
        self.temperature_optimizer = torch.optim.Adam(self.temperature.parameters(), lr=cfg.lr_peak)
        self.warmup_updates = int(cfg.lr_warmup_rate * total_updates)
        self.decay_updates = int(cfg.lr_decay_rate * total_updates)

        self.precision = Precision(cfg.use_amp, cfg.amp_dtype, device)
        self.actor_grad_scaler = self.precision.make_scaler()
        self.critic_grad_scaler = self.precision.make_scaler()
        self._actor_losses = maybe_compile(self._actor_losses_eager, cfg.use_compile, cfg.compile_mode, device)
        self._critic_losses = maybe_compile(self._critic_losses_eager, cfg.use_compile, cfg.compile_mode, device)
        self._online_params = list(self.critic.parameters())
        self._target_params = list(self.target_critic.parameters())
        # Running statistics each step's forward passes move (the target critic runs in train mode too).
        self._actor_stats = _running_statistics(self.actor)
        self._critic_stats = _running_statistics(self.critic) + _running_statistics(self.target_critic)
        self.update_steps = 0

    # ------------------------------------------------------------------ acting

    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = False) -> torch.Tensor:
        """Actions in environment units for ``obs (N, obs_dim)``.

        Training actions use the repeated exploration noise (``N`` must be the training ``num_envs``);
        deterministic actions are ``tanh(mean)`` and leave the noise state untouched.
        """
        if self.actor.training:  # switching walks every submodule: skip it when acting step after step
            self.actor.eval()
        mean, log_std = self.actor(obs.to(self.device))
        pre_tanh = mean if deterministic else mean + log_std.exp() * self.noise()
        return self.action_scaler.to_env(torch.tanh(pre_tanh))

    def update_reward_scaler(self, reward: torch.Tensor, done: torch.Tensor) -> None:
        """Feed one vector step of rewards and episode ends to the reward scaler (docs/algorithm.md 5.1)."""
        self.reward_scaler.update(reward.to(self.device), done.to(self.device))

    # ------------------------------------------------------------------ learning

    def update(self, batch: Batch) -> dict[str, torch.Tensor]:
        """One FlashSAC update step; returns detached device tensors (no host synchronisation)."""
        lr = learning_rate(
            self.update_steps,
            self.cfg.lr_init,
            self.cfg.lr_peak,
            self.cfg.lr_end,
            self.warmup_updates,
            self.decay_updates,
        )
        for optimizer in (self.actor_optimizer, self.critic_optimizer, self.temperature_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = lr
        obs, bootstrap_obs = batch.obs.to(self.device), batch.bootstrap_obs.to(self.device)
        critic_obs, bootstrap_critic_obs = obs, bootstrap_obs
        if self.use_critic_obs and batch.critic_obs is not None and batch.bootstrap_critic_obs is not None:
            critic_obs, bootstrap_critic_obs = (
                batch.critic_obs.to(self.device),
                batch.bootstrap_critic_obs.to(self.device),
            )
        data_action = self.action_scaler.to_unit(batch.action.to(self.device))
        scale = self.reward_scaler.scale() if self.cfg.normalize_reward else torch.ones((), device=self.device)
        reward = batch.reward.to(self.device) / scale
        # Terminal windows have no bootstrap value: their discount is masked to 0.
        bootstrap_discount = batch.bootstrap_discount.to(self.device) * (1.0 - batch.terminated.to(self.device))

        metrics: dict[str, torch.Tensor] = {}
        if self.update_steps % self.cfg.actor_update_period == 0:
            metrics |= self._update_actor(obs, bootstrap_obs, critic_obs, data_action)
        metrics |= self._update_critic(
            obs, bootstrap_obs, critic_obs, bootstrap_critic_obs, data_action, reward, bootstrap_discount
        )
        ema_update_(self._target_params, self._online_params, self.cfg.tau)
        self.update_steps += 1
        metrics["train/lr"] = torch.tensor(lr)
        metrics["train/reward_scale"] = scale.detach()
        return metrics

    def _actor_losses_eager(
        self, obs: torch.Tensor, bootstrap_obs: torch.Tensor, critic_obs: torch.Tensor, data_action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch_size = obs.shape[0]
        with self.precision.autocast():
            action, log_prob = self.actor.sample(torch.cat((obs, bootstrap_obs)))
            action, log_prob = action[:batch_size], log_prob[:batch_size].float()
            q_min = self.critic.expected_value(self.critic(critic_obs, action)).min(0).values
            loss = losses.actor_loss(
                log_prob, q_min, self.temperature(), self.cfg.actor_bc_alpha, action.float(), data_action
            )
        return loss, log_prob, action

    def _update_actor(
        self, obs: torch.Tensor, bootstrap_obs: torch.Tensor, critic_obs: torch.Tensor, data_action: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        self.actor.train()
        self.critic.eval()
        loss, log_prob, action = self._actor_losses(obs, bootstrap_obs, critic_obs, data_action)
        entropy = -log_prob.detach().mean()
        temp_loss = losses.temperature_loss(self.temperature.log_alpha, entropy, self.entropy_target)
        self.temperature_optimizer.zero_grad(set_to_none=True)
        # The temperature's gradient does not depend on the actor's step, so it is taken first and rides in the
        # actor's bucket: one collective per actor update under data parallelism.
        temp_loss.backward()
        # Gradients go to the actor only: the critic is a fixed function of the action here.
        grad_norm = self._optimizer_step(
            loss,
            self.actor_optimizer,
            self.actor_grad_scaler,
            self.actor,
            list(self.actor.parameters()),
            also_averaged=[t for t in (self.temperature.log_alpha.grad,) if t is not None] + self._actor_stats,
        )
        self.temperature_optimizer.step()
        return {
            "actor/loss": loss.detach(),
            "actor/grad_norm": grad_norm,
            "actor/entropy": entropy,
            "actor/mean_action": action.detach().float().mean(),
            "temperature/value": self.temperature().detach(),
            "temperature/loss": temp_loss.detach(),
        }

    def _critic_losses_eager(
        self,
        obs: torch.Tensor,
        bootstrap_obs: torch.Tensor,
        critic_obs: torch.Tensor,
        bootstrap_critic_obs: torch.Tensor,
        data_action: torch.Tensor,
        reward: torch.Tensor,
        bootstrap_discount: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch_size = obs.shape[0]
        support = self.critic.support
        with torch.no_grad(), self.precision.autocast():
            next_action, next_log_prob = self.actor.sample(bootstrap_obs)
            joint_obs = torch.cat((critic_obs, bootstrap_critic_obs))
            joint_action = torch.cat((data_action, next_action.float()))
            target_logits = self.target_critic(joint_obs, joint_action)[:, batch_size:]
            next_probs = losses.select_min_member(torch.softmax(target_logits.float(), dim=-1), support)
            entropy_bonus = self.temperature().detach() * next_log_prob.float()
            target = losses.categorical_projection(next_probs, reward, bootstrap_discount, entropy_bonus, support)
        with self.precision.autocast():
            logits = self.critic(joint_obs, joint_action)[:, :batch_size]
            if self.cfg.critic_loss == "value_mse":
                loss = losses.critic_value_loss(self.critic.expected_value(logits), target, support)
            else:
                loss = losses.critic_loss(torch.log_softmax(logits.float(), dim=-1), target)
        q_mean = self.critic.expected_value(logits.detach()).mean()
        return loss, entropy_bonus.max(), q_mean

    def _update_critic(self, *args: torch.Tensor) -> dict[str, torch.Tensor]:
        self.actor.eval()
        self.critic.train()
        self.target_critic.train()
        loss, max_bonus, q_mean = self._critic_losses(*args)
        grad_norm = self._optimizer_step(
            loss,
            self.critic_optimizer,
            self.critic_grad_scaler,
            self.critic,
            self._online_params,
            also_averaged=self._critic_stats,
        )
        return {
            "critic/loss": loss.detach(),
            "critic/grad_norm": grad_norm,
            "critic/max_entropy_bonus": max_bonus,
            "critic/q_mean": q_mean,
        }

    def _optimizer_step(
        self,
        loss: torch.Tensor,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler,
        network: nn.Module,
        params: Sequence[torch.Tensor],
        also_averaged: Sequence[torch.Tensor] = (),
    ) -> torch.Tensor:
        """Zero grads, (scaled) backward into ``params`` only, average over ranks, optimizer step, projection.

        Returns the gradient norm (unscaled; on device) for logging and the non-finite guard. Under fp16 the
        scaler skips steps with overflowing gradients by design, so the norm is reported as 0 there. Under data
        parallelism the norm is this rank's own, taken before averaging, so that a non-finite gradient is
        reported by the rank whose data caused it; ``also_averaged`` joins the gradients in the same bucket.
        """
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward(inputs=list(params))
        grads = [p.grad for p in params if p.grad is not None]
        grad_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))  # type: ignore[attr-defined]
        if scaler.is_enabled():
            grad_norm = torch.where(torch.isfinite(grad_norm), grad_norm / scaler.get_scale(), 0.0)
        if self.sync is not None:
            self.sync.average_([*grads, *also_averaged])
        scaler.step(optimizer)
        scaler.update()
        project_weights_(network)
        return grad_norm.detach()

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly: tensors and plain data only."""
        return {
            "actor": self.actor.state_dict(),
            "critic": self.critic.state_dict(),
            "target_critic": self.target_critic.state_dict(),
            "temperature": self.temperature.state_dict(),
            "reward_scaler": self.reward_scaler.state_dict(),
            "noise": self.noise.state_dict(),
            "noise_generator": self.noise.generator_state(),
            "actor_optimizer": self.actor_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "temperature_optimizer": self.temperature_optimizer.state_dict(),
            "actor_grad_scaler": self.actor_grad_scaler.state_dict(),
            "critic_grad_scaler": self.critic_grad_scaler.state_dict(),
            "update_steps": self.update_steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output (shapes must match this agent's configuration)."""
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self.target_critic.load_state_dict(state["target_critic"])
        self.temperature.load_state_dict(state["temperature"])
        self.reward_scaler.load_state_dict(state["reward_scaler"])
        self.noise.load_state_dict(state["noise"])
        self.noise.set_generator_state(state["noise_generator"])
        self.actor_optimizer.load_state_dict(state["actor_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.temperature_optimizer.load_state_dict(state["temperature_optimizer"])
        self.actor_grad_scaler.load_state_dict(state["actor_grad_scaler"])
        self.critic_grad_scaler.load_state_dict(state["critic_grad_scaler"])
        self.update_steps = int(state["update_steps"])


def _running_statistics(network: nn.Module) -> list[torch.Tensor]:
    """The batch-norm running means and variances of ``network``, in module order."""
    return [t for m in network.modules() if isinstance(m, UnitBatchNorm) for t in (m.running_mean, m.running_var)]
