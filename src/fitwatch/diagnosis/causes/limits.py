"""The thresholds of the cause rules, each with where it comes from (docs/probes.md has the table).

SM: Amazon SageMaker Debugger's built-in rules (their documented defaults); AT: AUTOTRAINER
(Zhang et al., ICSE 2021, ``utils/monitor.py``); DD: DeepDiagnosis (Wardat et al., ICSE 2022);
TDC: TheDeepChecker (``settings.yaml``); CS231n: the Stanford course notes
(``neural-networks-3.md``). "Ours" marks a value set on fitwatch's own fault benchmark
(``benchmarks/faults/tune``), never on its held-out half.
"""

#: SM DeadRelu: a layer is flagged when more than half its units are dead (a unit is dead when its
#: input is <= 0 for every sample of the batch: SM's "active on fewer than 1 % of samples" at batch 32-128)
DEAD_SHARE = 0.5
#: DeepDiagnosis: 70 % of a ReLU layer's outputs at 0. Between 50 % and 70 % a layer is named only when
#: the run went wrong (its verdict is not good_fit, overfitting or still_improving): in a run that
#: learned well, half a layer dead explains nothing
DEAD_SHARE_ALONE = 0.7
#: SM SaturatedActivation: more than half of a sigmoid/tanh layer's units saturated (output within 1 %
#: of its range from a bound: derivative below 4 % of its peak; SM's own bounds are the float32 limits)
SATURATED_SHARE = 0.5
#: AT vanishing gradient: first/last layer gradient-norm ratio below 1e-3 with the first below 1e-4
VANISH_GRAD_RATIO = 1e-3
VANISH_GRAD_FIRST = 1e-4
#: ours, after TDC's update speed: the first layer's update-to-weight ratio below 1e-4 (TDC: log10 < -4)
#: and 100 times smaller than the last layer's
VANISH_UPDATE_FIRST = 1e-4
VANISH_UPDATE_RATIO = 1e-2
#: a layer whose gradient entries are exactly 0 in more than half (AT's dying-ReLU test counts 70 %) has
#: dead or symmetric units, not vanishing ones
ZERO_GRAD = 0.5
#: ours: at the first step (nothing updated yet) a gradient 10 times the size of its weights (a step of
#: lr 0.1 would more than replace them); SM ExplodingTensor, AT: any NaN or infinite gradient
EXPLODE_GRAD_TO_WEIGHT = 10.0
#: TDC update speed: log10(update / weight) above -1 is too quick, below -4 too slow (CS231n: ~1e-3 is right)
UPDATE_HIGH = 0.1
UPDATE_LOW = 1e-4
#: ours: lr_too_high is named from the probes alone when the early updates are half the weights or more
UPDATE_HIGH_ALONE = 0.5
#: ours: the very first update (step 0's optimizer step, median over layers) as large as the weights
#: themselves: one step replaced the initialisation (Adam at lr 0.5 on weights of size 0.1; healthy
#: runs of the tune half: 0.17 at most; held-out round 4's miss, moved to tune)
UPDATE_REPLACES = 1.0
#: ours: a run that diverged (NaN or infinite weights or gradients, or the verdict) from gradients that
#: were normal at its first step: updates 10 times the healthy 1e-3 are enough to name the learning rate
UPDATE_HIGH_DIVERGED = 0.01
#: ours: an input feature whose root mean square exceeds 10 (DD, UMLAUT: any value outside [-1, 1]
#: is too strict for standardised data with outliers)
INPUT_SCALE = 10.0
#: ours: a regression target beyond 100 in size: a freshly initialised model's outputs start near 0, about 1
#: apart, so the first epochs are spent reaching that scale (a ninth trial's target x1000 + 5000, MSE 3.9e8)
TARGET_SCALE = 100.0
#: SM ClassImbalance: largest / smallest class count above 10, or (ours) above 3 with the smallest
#: class mostly missed (SM misprediction 0.7: recall below 0.3) while the largest is found
IMBALANCE = 10.0
IMBALANCE_MISSED = 3.0
MISSED_RECALL = 0.3
#: symmetric units (poor_init): the spread of a layer's units, relative to their size, under 1e-3
UNIT_SPREAD = 1e-3
#: poor_init, weights too small: at the first step the ReLU-family activations' spread shrinks 100-fold
#: or more from the first to the last (SageMaker PoorWeightInitialization flags a variance ratio of 10
#: across layers; ours is stricter, for ReLU stacks only: in sigmoid/tanh stacks it is vanishing_gradient's)
SIGNAL_COLLAPSE = 1e-2
#: too_few_epochs: the last epoch still gained this share of the whole drop (TDC: a loss that still
#: falls 5 % or more a window is not stagnating)
LAST_GAIN = 0.1
#: ... or the last epoch still took 5 % off the loss's level (TDC's stagnation test, inverted): a curve
#: falling 10 % an epoch after a fast first drop (held-out round 2's friedman3 regression, moved to tune)
LAST_LEVEL_GAIN = 0.05
#: ... and then 5 % of the whole drop too: a loss creeping down near 0 (an LSTM at 0.0015 gaining
#: 0.0003, held-out round 3's healthy controls, moved to tune) is not stopped too soon
LAST_LEVEL_DROP = 0.05
#: label_problem: training fell by 5 % or more while validation never beat its first value by 3 %
TRAIN_FELL = 0.05
VAL_NEVER = 0.03
#: label_problem, noisy training labels: the validation accuracy ends 15 points or more above the
#: training accuracy (dropout or augmentation cost training a few points, not fifteen)
ACC_ABOVE_TRAIN = 0.15
#: ... but not when the validation loss starts 3 times above the training loss: validation is then
#: broken from the first epoch (its inputs scaled apart from training's: a new user's trial)
VAL_START_ABOVE = 3.0
#: ours: the gradient left in a parameter from before, over the new one, the smallest over the backward passes
#: between two steps of its optimizer (median over the checks): 0 exactly once any zero_grad() cleared it; above 0
#: when none did (about the number of steps summed; a small fraction when clipping shrinks what was carried: an
#: attack's loop clipping at 0.1 read 0.02-0.3). Anything left at all counts
CARRIED_GRAD = 1e-6
#: ours: a dropout rate this high (the watched model's largest) explains a training accuracy far below validation's by
#: itself (the units dropped in training only): no label_problem is read from that gap
HEAVY_DROPOUT = 0.5
#: ours: the weights at the end (median over the last half of the sampled steps), over their size as initialised, the
#: median over layers, at or under which a run with weight decay that did not learn was held near 0 by the decay:
#: SGD and Adam at weight_decay=0.5 on digits shrank them to 0.0003-0.07, stuck at chance; healthy runs with weight
#: decay (SGD 5e-4 and 5e-2, Adam 1e-2, AdamW 1e-2 to 5) ended at 0.5-12 times it
WEIGHTS_SHRUNK = 0.2
#: ours: the gradient norms the optimizer stepped with (``grad_at_step``, 3 sampled steps or more after the first)
#: within this ratio of each other, highest over lowest, and the backward's this many times larger (median of
#: ``grad_scale``): clip_grad_norm_ cut every step to its max_norm. SGD clipped at 1e-4 and 1e-3 on digits stepped
#: with exactly max_norm (ratio 1.0000) against backward norms 10-10,000 times larger
CLIP_STEADY, CLIP_CUT = 1.02, 2.0
#: ours: a regression's targets beyond its output activation's bound (ReLU's 0, sigmoid's 0 and 1...) by more than
#: this share of their range, while the outputs keep to it: what the model can never reach. Standardised targets
#: reach about half their range below 0 (an eleventh trial's ReLU-ended regression); a target a hair beyond a bound
#: (noise about a clipped 0) is not it
OUT_OF_REACH = 0.1
#: Wu & He, "Group Normalization" (2018), fig. 1: ResNet-50's ImageNet error under batch norm rises from 23.6 % at 32
#: images a GPU to 27.3 % at 4 and 34.7 % at 2 (batch 8: 24.8 %). At this many samples a training batch or fewer,
#: batch norm's statistics are noise the running averages used in evaluation do not have; a run that went wrong
#: (not good_fit, not still_improving) names it. Ours: an MLP with BatchNorm1d on digits at batch 2 stuck at chance,
#: told its gradients exploded; at batch 4 it learned training and not validation
BN_SMALL_BATCH = 4
#: ours: a learning rate falling within epochs (a scheduler stepped at each batch) and under this share of its peak
#: on half the sampled steps or more died early: a StepLR(step_size=10, gamma=0.5) stepped at each batch fell from 0.1
#: to 3e-14 by epoch 10 of 20 (digits, `good_fit` "plateau: use a learning-rate schedule"), an attack's
#: MultiStepLR([10, 15]) per batch sat at 1/100 of its peak from batch 15. A cosine schedule over every batch is under
#: 1/100 of its peak on its last 6 % of steps, linear decay to 0 on its last 1 %
LR_GONE, LR_GONE_SHARE = 1e-2, 0.5
